//! Packet identifiers: 1..=65535, wrapping, never one that is still in use.

use std::collections::BTreeSet;

/// Hands out packet ids. Ids stay taken until [`PacketIds::release`].
#[derive(Debug)]
pub struct PacketIds {
    next: u16,
    in_use: BTreeSet<u16>,
}

impl Default for PacketIds {
    fn default() -> Self {
        PacketIds {
            next: 1,
            in_use: BTreeSet::new(),
        }
    }
}

impl PacketIds {
    /// The next free id after the last one handed out, or `None` when all 65535 are taken.
    pub fn allocate(&mut self) -> Option<u16> {
        if self.in_use.len() >= usize::from(u16::MAX) {
            return None;
        }
        loop {
            let candidate = self.next;
            self.next = if self.next == u16::MAX {
                1
            } else {
                self.next + 1
            };
            if self.in_use.insert(candidate) {
                return Some(candidate);
            }
        }
    }

    pub fn release(&mut self, id: u16) {
        self.in_use.remove(&id);
    }

    pub fn in_use(&self) -> usize {
        self.in_use.len()
    }

    pub fn is_in_use(&self, id: u16) -> bool {
        self.in_use.contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_wrap_from_65535_to_1_and_skip_zero() {
        let mut ids = PacketIds {
            next: u16::MAX,
            ..Default::default()
        };
        assert_eq!(ids.allocate(), Some(u16::MAX));
        assert_eq!(ids.allocate(), Some(1));
    }

    #[test]
    fn an_id_in_flight_is_skipped_after_wrap_around() {
        let mut ids = PacketIds::default();
        let first = ids.allocate();
        assert_eq!(first, Some(1));
        ids.next = u16::MAX;
        assert_eq!(ids.allocate(), Some(u16::MAX));
        assert_eq!(ids.allocate(), Some(2));
    }

    #[test]
    fn when_every_id_is_taken_allocation_says_none() {
        let mut ids = PacketIds::default();
        for _ in 0..65_535 {
            assert!(ids.allocate().is_some());
        }
        assert_eq!(ids.allocate(), None);
        ids.release(300);
        assert_eq!(ids.allocate(), Some(300));
    }

    proptest! {
        #[test]
        fn ids_are_never_reused_while_in_flight(ops in proptest::collection::vec(any::<(bool, u16)>(), 1..2000)) {
            let mut ids = PacketIds::default();
            let mut live: BTreeSet<u16> = BTreeSet::new();
            for (alloc, pick) in ops {
                if alloc || live.is_empty() {
                    let id = ids.allocate().expect("far from 65535 in use");
                    prop_assert!(id != 0);
                    prop_assert!(live.insert(id), "id {} handed out twice", id);
                } else {
                    let victim = *live.iter().nth(usize::from(pick) % live.len()).expect("non-empty");
                    live.remove(&victim);
                    ids.release(victim);
                }
            }
        }
    }
}
