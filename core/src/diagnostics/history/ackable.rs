//! Beside each remembered message, what an outgoing PUBACK or PUBREC can still settle: its
//! ack key while unacknowledged and not dead, else 0. An outgoing ack settles the newest of
//! the last `SEARCHED` messages with its key.
//!
//! Why the count: the session sends a message's automatic PUBACK before the message's own
//! event, so the search for it looked through all `SEARCHED` keys for every message received
//! and found nothing; that scan was most of the history's time per message (a 50,000-message
//! drain, `core/examples/drain.rs`). Counting the open keys in that window answers the
//! common case without a scan; the scan runs only when a key is there to be found.

use super::recent::Recent;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// How far back an outgoing ack looks.
const SEARCHED: usize = 1_000;

#[derive(Clone, Debug, Default)]
pub(crate) struct Ackable {
    /// One key per remembered message, in the order of `DeviceHistory::messages`.
    keys: Recent<u32>,
    /// How many of the last `SEARCHED` keys are open (not 0), per key.
    open: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
}

impl Ackable {
    /// A message arrived: `key` (0 for one nothing can settle).
    pub(crate) fn push(&mut self, key: u32) {
        if self.keys.len() >= SEARCHED {
            let leaving = self.keys[self.keys.len() - SEARCHED];
            self.close(leaving);
        }
        self.keys.push(key);
        if key != 0 {
            *self.open.entry(key).or_default() += 1;
        }
    }

    /// An outgoing ack with `key`: the index of the message it settles, now settled.
    pub(crate) fn settle(&mut self, key: u32) -> Option<usize> {
        if !self.open.contains_key(&key) {
            return None;
        }
        let back = self
            .keys
            .iter()
            .rev()
            .take(SEARCHED)
            .position(|k| *k == key)?;
        let i = self.keys.len() - 1 - back;
        self.keys[i] = 0;
        self.close(key);
        Some(i)
    }

    fn close(&mut self, key: u32) {
        if key == 0 {
            return;
        }
        if let Some(n) = self.open.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&key);
            }
        }
    }
}

/// Ack keys are packet ids plus one (at most 65,537 of them): a multiply spreads them over
/// the table's buckets, where SipHash cost more than the search it saves (history stage
/// 0.50-0.54 -> 0.32-0.42 us/message, `core/examples/drain`). Ids chosen to collide cost at
/// worst what the scan cost: the table holds at most `SEARCHED` keys.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // The table picks buckets by the low bits: the product's best mixed bits go there.
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u32(u32::from(*b));
        }
    }

    fn write_u32(&mut self, key: u32) {
        self.0 = (self.0 ^ u64::from(key)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
