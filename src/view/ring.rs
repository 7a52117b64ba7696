//! A bounded history: the newest `cap` items, the oldest evicted first and counted.
//!
//! Design: every list a device keeps (messages, packets, timeline) grows with what a
//! broker sends; a ring keeps memory bounded and tells the page how much went. Items keep
//! an absolute index (`evicted + position`) so a selection survives evictions before it.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
    evicted: u64,
}

impl<T> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Ring {
            items: VecDeque::new(),
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// Adds an item; returns the one evicted to make room, if any.
    pub fn push(&mut self, item: T) -> Option<T> {
        let out = if self.items.len() >= self.cap {
            self.evicted += 1;
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(item);
        out
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many items were evicted so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The item at a position among those held (0 = oldest held).
    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)
    }

    /// The item with an absolute index (counting the evicted ones).
    pub fn get_absolute(&self, index: u64) -> Option<&T> {
        let i = index.checked_sub(self.evicted)?;
        self.items.get(usize::try_from(i).ok()?)
    }

    /// The absolute index of the item at a position among those held.
    pub fn absolute(&self, i: usize) -> u64 {
        self.evicted + i as u64
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn first(&self) -> Option<&T> {
        self.items.front()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_go_first_and_are_counted() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.evicted(), 2);
        assert_eq!(r.get_absolute(3), Some(&3));
        assert_eq!(r.get_absolute(1), None, "evicted");
        assert_eq!(r.absolute(0), 2);
    }
}
