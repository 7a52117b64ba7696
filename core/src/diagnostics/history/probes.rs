//! Probe series a device received: which sequence numbers, as ranges (a series of 100,000
//! probes received in order is one range).

use crate::time::Millis;

/// Series remembered per device; the least recently active goes first.
const MAX_SERIES: usize = 32;
/// Ranges kept per series: a hostile sender of every other number cannot grow it further.
const MAX_RANGES: usize = 4_096;

/// Sequence numbers as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeqRanges(Vec<(u32, u32)>);

impl SeqRanges {
    /// Adds `seq`; returns false when it was there already.
    pub fn insert(&mut self, seq: u32) -> bool {
        let i = self.0.partition_point(|&(_, hi)| hi < seq);
        if let Some(&(lo, _)) = self.0.get(i) {
            if lo <= seq {
                return false;
            }
        }
        let joins_left = i > 0 && self.0[i - 1].1.checked_add(1) == Some(seq);
        let joins_right = self
            .0
            .get(i)
            .is_some_and(|&(lo, _)| seq.checked_add(1) == Some(lo));
        match (joins_left, joins_right) {
            (true, true) => {
                self.0[i - 1].1 = self.0[i].1;
                self.0.remove(i);
            }
            (true, false) => self.0[i - 1].1 = seq,
            (false, true) => self.0[i].0 = seq,
            (false, false) => {
                if self.0.len() >= MAX_RANGES {
                    return true;
                }
                self.0.insert(i, (seq, seq));
            }
        }
        true
    }

    /// Distinct numbers in `1..=upto`.
    pub fn count_upto(&self, upto: u32) -> u64 {
        self.0
            .iter()
            .map(|&(lo, hi)| (lo.max(1), hi.min(upto)))
            .filter(|&(lo, hi)| lo <= hi)
            .map(|(lo, hi)| u64::from(hi) - u64::from(lo) + 1)
            .sum()
    }

    pub fn highest(&self) -> Option<u32> {
        self.0.last().map(|&(_, hi)| hi)
    }

    /// The first `limit` numbers of `1..=upto` that are missing.
    pub fn missing_upto(&self, upto: u32, limit: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let upto = u64::from(upto);
        let mut next = 1u64;
        let ranges = self
            .0
            .iter()
            .map(|&(lo, hi)| (u64::from(lo), u64::from(hi)));
        for (lo, hi) in ranges.chain([(upto + 1, upto + 1)]) {
            while next < lo.min(upto + 1) && out.len() < limit {
                out.push(next as u32);
                next += 1;
            }
            if lo > upto || out.len() >= limit {
                break;
            }
            next = next.max(hi + 1);
        }
        out
    }
}

/// One probe series as a device received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeriesReceived {
    pub series: String,
    pub topic: String,
    pub seqs: SeqRanges,
    pub deliveries: u64,
    pub duplicates: u64,
    pub first_at: Millis,
    pub last_at: Millis,
    /// The lowest QoS a probe of it arrived at.
    pub min_qos: u8,
}

/// Every probe series a device received (at most [`MAX_SERIES`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct ProbesReceived {
    pub series: Vec<SeriesReceived>,
}

impl ProbesReceived {
    pub fn record(&mut self, series: &str, seq: u32, topic: &str, qos: u8, at: Millis) {
        let i = match self.series.iter().position(|s| s.series == series) {
            Some(i) => i,
            None => {
                if self.series.len() >= MAX_SERIES {
                    let oldest = (0..self.series.len())
                        .min_by_key(|&i| self.series[i].last_at)
                        .unwrap_or(0);
                    self.series.remove(oldest);
                }
                self.series.push(SeriesReceived {
                    series: series.to_string(),
                    topic: topic.to_string(),
                    first_at: at,
                    min_qos: qos,
                    ..Default::default()
                });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i];
        s.deliveries += 1;
        if !s.seqs.insert(seq) {
            s.duplicates += 1;
        }
        s.last_at = at;
        s.min_qos = s.min_qos.min(qos);
    }

    pub fn get(&self, series: &str) -> Option<&SeriesReceived> {
        self.series.iter().find(|s| s.series == series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_count_what_arrived() {
        let mut r = SeqRanges::default();
        for s in [1, 2, 3, 5, 7, 6, 10] {
            assert!(r.insert(s));
        }
        assert!(!r.insert(6), "a repeat is reported");
        assert_eq!(r.0, vec![(1, 3), (5, 7), (10, 10)]);
        assert_eq!(r.count_upto(10), 7);
        assert_eq!(r.count_upto(6), 5);
        assert_eq!(r.highest(), Some(10));
        assert_eq!(r.missing_upto(12, 20), vec![4, 8, 9, 11, 12]);
        assert_eq!(r.missing_upto(12, 2), vec![4, 8]);
    }

    #[test]
    fn a_series_from_zero_or_up_to_the_last_number_is_safe() {
        let mut r = SeqRanges::default();
        r.insert(0);
        r.insert(u32::MAX);
        assert_eq!(r.count_upto(u32::MAX), 1);
        assert_eq!(r.missing_upto(3, 5), vec![1, 2, 3]);
        assert_eq!(SeqRanges::default().missing_upto(0, 5), Vec::<u32>::new());
    }
}
