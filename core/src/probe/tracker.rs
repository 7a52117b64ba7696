//! Gap and duplicate bookkeeping over probe series, per receiving device.

use std::collections::{BTreeMap, BTreeSet};

/// Missing sequence numbers listed per series; the rest are counted.
pub const MISSING_LISTED: usize = 20;
/// Series tracked at once. Design: any publisher chooses series ids, so a hostile or
/// chatty one must not grow this without limit; the least recently active series goes
/// first, and the page shows how many went.
pub const MAX_SERIES: usize = 64;

/// Makes room for `key` in a map of series bounded at `max`: when `key` is new and the map is
/// full, the least recently active entry goes. Any publisher picks series ids, so neither the
/// tracker nor the stories may grow without limit. Returns whether one went.
pub(super) fn make_room<V>(
    map: &mut BTreeMap<String, V>,
    key: &str,
    max: usize,
    last_active: impl Fn(&V) -> u64,
) -> bool {
    if map.contains_key(key) || map.len() < max {
        return false;
    }
    let oldest = map
        .iter()
        .min_by_key(|(_, v)| last_active(v))
        .map(|(id, _)| id.clone());
    oldest.is_some_and(|id| map.remove(&id).is_some())
}

/// What one probe series looks like from the receiving side.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
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
    /// Every seq in 1..=contiguous was seen: gaps are looked for above it only.
    contiguous: u32,
    /// The tracker's clock at this series' last delivery.
    last_active: u64,
}

/// Tracks the probe series a device receives (at most [`MAX_SERIES`]).
#[derive(Debug, Default)]
pub struct ProbeTracker {
    series: BTreeMap<String, Series>,
    clock: u64,
    evicted: u64,
}

impl ProbeTracker {
    /// Records a delivery; returns `true` if this (series, seq) was already seen.
    pub fn record(&mut self, series: &str, seq: u32) -> bool {
        self.clock += 1;
        if make_room(&mut self.series, series, MAX_SERIES, |s| s.last_active) {
            self.evicted += 1;
        }
        let entry = self.series.entry(series.to_string()).or_default();
        entry.last_active = self.clock;
        entry.received += 1;
        if entry.highest.is_some_and(|h| seq < h) {
            entry.out_of_order += 1;
        }
        entry.highest = Some(entry.highest.map_or(seq, |h| h.max(seq)));
        let seen_before = !entry.seen.insert(seq);
        while entry
            .contiguous
            .checked_add(1)
            .is_some_and(|next| entry.seen.contains(&next))
        {
            entry.contiguous += 1;
        }
        seen_before
    }

    /// Series dropped from tracking to stay within [`MAX_SERIES`].
    pub fn evicted_series(&self) -> u64 {
        self.evicted
    }

    /// Summaries of every series, by series id. Series start at sequence number 1.
    pub fn summaries(&self) -> Vec<(String, SeriesSummary)> {
        self.series
            .iter()
            .map(|(id, s)| {
                let highest = s.highest.unwrap_or(0);
                // Walk the gaps between seen numbers: cost follows what was received, not
                // the size of the numbers.
                // Every seq up to `contiguous` arrived, so only the numbers above it are
                // walked, and only until the listed gaps are found.
                let distinct_from_1 = s.seen.len() as u64 - u64::from(s.seen.contains(&0));
                let missing_count = u64::from(highest) - distinct_from_1;
                let mut missing = Vec::new();
                let mut expected = u64::from(s.contiguous) + 1;
                for &seq in s.seen.range(s.contiguous.saturating_add(1)..) {
                    if missing.len() >= MISSING_LISTED {
                        break;
                    }
                    let seq = u64::from(seq);
                    if seq > expected {
                        let room = MISSING_LISTED - missing.len();
                        missing.extend((expected..seq).take(room).map(|n| n as u32));
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
    fn series_beyond_the_limit_evict_the_least_recently_active() {
        let mut t = ProbeTracker::default();
        for i in 0..MAX_SERIES {
            t.record(&format!("s{i}"), 1);
        }
        t.record("s0", 2);
        t.record("hostile", 1);
        assert_eq!(t.summaries().len(), MAX_SERIES);
        assert_eq!(t.evicted_series(), 1);
        let ids: Vec<String> = t.summaries().into_iter().map(|(id, _)| id).collect();
        assert!(ids.contains(&"s0".to_string()), "recently active stays");
        assert!(
            !ids.contains(&"s1".to_string()),
            "least recently active goes"
        );
    }

    #[test]
    fn summaries_match_a_plain_count_of_the_gaps() {
        let mut t = ProbeTracker::default();
        let seqs = [0u32, 1, 2, 4, 4, 7, 3, 10, 9, 30, 31];
        for s in seqs {
            t.record("a", s);
        }
        let (_, s) = &t.summaries()[0];
        let seen: BTreeSet<u32> = seqs.into_iter().collect();
        let missing: Vec<u32> = (1..=31).filter(|n| !seen.contains(n)).collect();
        assert_eq!(s.missing_count, missing.len() as u64);
        assert_eq!(
            s.missing,
            missing[..MISSING_LISTED.min(missing.len())].to_vec()
        );
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
