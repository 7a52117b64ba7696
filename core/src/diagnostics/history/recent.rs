//! The newest `KEEP` entries of a list that grows with every message.
//!
//! Why: trimming a `Vec` to its newest entries after each push moves all of them (about
//! 500 KB for the messages) once it is full, on every message: a 50,000-message drain spent
//! most of its time there. Here the oldest entries are only hidden, and dropped together
//! once as many are hidden as are shown, so a push costs O(1) on average. Readers see a
//! slice of exactly the newest `KEEP`, as before.

use super::KEEP;
use std::ops::{Deref, DerefMut};

#[derive(Clone)]
pub(crate) struct Recent<T> {
    items: Vec<T>,
    /// Entries before this are no longer kept.
    start: usize,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            items: Vec::new(),
            start: 0,
        }
    }
}

impl<T> Recent<T> {
    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
        if self.items.len() - self.start > KEEP {
            self.start += 1;
        }
        if self.start >= KEEP {
            self.items.drain(..self.start);
            self.start = 0;
        }
    }
}

impl<T> Deref for Recent<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.items.get(self.start..).unwrap_or_default()
    }
}

impl<T> DerefMut for Recent<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let start = self.start.min(self.items.len());
        &mut self.items[start..]
    }
}

impl<'a, T> IntoIterator for &'a Recent<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Recent<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{Recent, KEEP};

    #[test]
    fn shows_exactly_the_newest_keep_entries_as_trimming_a_vec_did() {
        let mut recent = Recent::default();
        let mut vec = Vec::new();
        for i in 0..KEEP * 5 + 17 {
            recent.push(i);
            vec.push(i);
            if vec.len() > KEEP {
                vec.drain(..vec.len() - KEEP);
            }
            assert_eq!(&recent[..], &vec[..], "after {i}");
        }
        assert!(recent.items.len() < 2 * KEEP, "the hidden ones are dropped");
        recent.iter_mut().for_each(|x| *x += 1);
        assert_eq!(recent.first(), Some(&(vec[0] + 1)));
    }
}
