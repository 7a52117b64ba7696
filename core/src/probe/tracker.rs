//! Gap and duplicate bookkeeping over probe series, per receiving device.

use std::collections::{BTreeMap, BTreeSet};

/// Missing sequence numbers listed per series; the rest are counted.
pub const MISSING_LISTED: usize = 20;

/// What one probe series looks like from the receiving side.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SeriesSummary {
    pub received: usize,
    pub distinct: usize,
    pub duplicates: usize,
    pub highest_seq: u32,
    /// How many sequence numbers below the highest one never arrived.
    pub missing_count: u64,
    /// The first of them (at most [`MISSING_LISTED`]), so that a hostile seq number cannot
    /// make the page list four billion gaps.
    pub missing: Vec<u32>,
    /// Deliveries that came with a lower seq than one already received.
    pub out_of_order: usize,
}

#[derive(Debug, Default)]
struct Series {
    seen: BTreeSet<u32>,
    received: usize,
    out_of_order: usize,
    highest: Option<u32>,
}

/// Tracks every probe series a device receives.
#[derive(Debug, Default)]
pub struct ProbeTracker {
    series: BTreeMap<String, Series>,
}

impl ProbeTracker {
    /// Records a delivery; returns `true` if this (series, seq) was already seen.
    pub fn record(&mut self, series: &str, seq: u32) -> bool {
        let entry = self.series.entry(series.to_string()).or_default();
        entry.received += 1;
        if entry.highest.is_some_and(|h| seq < h) {
            entry.out_of_order += 1;
        }
        entry.highest = Some(entry.highest.map_or(seq, |h| h.max(seq)));
        !entry.seen.insert(seq)
    }

    /// Summaries of every series, by series id. Series start at sequence number 1.
    pub fn summaries(&self) -> Vec<(String, SeriesSummary)> {
        self.series
            .iter()
            .map(|(id, s)| {
                let highest = s.highest.unwrap_or(0);
                // Walk the gaps between seen numbers: cost follows what was received, not
                // the size of the numbers.
                let mut missing = Vec::new();
                let mut missing_count = 0u64;
                let mut expected = 1u64;
                for &seq in s.seen.iter().filter(|n| **n >= 1) {
                    let seq = u64::from(seq);
                    if seq > expected {
                        missing_count += seq - expected;
                        let room = MISSING_LISTED.saturating_sub(missing.len()) as u64;
                        missing.extend((expected..seq).take(room as usize).map(|n| n as u32));
                    }
                    expected = seq + 1;
                }
                (
                    id.clone(),
                    SeriesSummary {
                        received: s.received,
                        distinct: s.seen.len(),
                        duplicates: s.received - s.seen.len(),
                        highest_seq: highest,
                        missing_count,
                        missing,
                        out_of_order: s.out_of_order,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_and_duplicates_are_counted() {
        let mut t = ProbeTracker::default();
        assert!(!t.record("a", 1));
        assert!(!t.record("a", 3));
        assert!(t.record("a", 3));
        assert!(!t.record("a", 2));
        assert!(!t.record("a", 5));
        let (_, s) = &t.summaries()[0];
        assert_eq!(s.received, 5);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.missing, vec![4]);
        assert_eq!(s.missing_count, 1);
        assert_eq!(s.out_of_order, 1);
        assert_eq!(s.highest_seq, 5);
    }

    #[test]
    fn a_huge_sequence_number_is_counted_not_listed() {
        // Found by the session fuzzer: seq 4294967295 made the page list every gap.
        let mut t = ProbeTracker::default();
        t.record("a", 2);
        t.record("a", u32::MAX);
        let (_, s) = &t.summaries()[0];
        assert_eq!(s.missing_count, u64::from(u32::MAX) - 2);
        assert_eq!(s.missing.len(), MISSING_LISTED);
        assert_eq!(s.missing[0], 1);
        assert_eq!(s.missing[1], 3);
    }
}
