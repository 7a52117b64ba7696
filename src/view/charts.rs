//! Numbers behind the charts: message rate over time and the probe latency histogram.

use super::MessageRow;
use ackscope_core::time::Millis;

/// Messages per bucket over the last `buckets * bucket_ms` before `now`, oldest first.
/// Walks back from the newest message only as far as the window reaches.
pub fn rate<'a>(
    newest_first: impl Iterator<Item = &'a MessageRow>,
    now: Millis,
    bucket_ms: Millis,
    buckets: usize,
) -> Vec<u32> {
    let mut out = vec![0u32; buckets];
    let span = bucket_ms * buckets as Millis;
    let start = now.saturating_sub(span);
    for m in newest_first {
        if m.at < start {
            break;
        }
        let i = ((m.at - start) / bucket_ms) as usize;
        if let Some(slot) = out.get_mut(i.min(buckets - 1)) {
            *slot += 1;
        }
    }
    out
}

/// Upper bounds of the latency histogram's buckets, in ms; one more bucket holds the rest.
const BOUNDS: [i64; 9] = [10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000];

/// The probe latency histogram, kept up to date as messages come and go, so that a
/// render costs the same with ten messages or a million.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u32; BOUNDS.len() + 1],
}

impl LatencyHistogram {
    fn bucket(latency_ms: i64) -> usize {
        BOUNDS
            .iter()
            .position(|b| latency_ms <= *b)
            .unwrap_or(BOUNDS.len())
    }

    pub fn add(&mut self, m: &MessageRow) {
        if let Some(lat) = m.latency_ms {
            self.counts[Self::bucket(lat)] += 1;
        }
    }

    pub fn remove(&mut self, m: &MessageRow) {
        if let Some(lat) = m.latency_ms {
            let c = &mut self.counts[Self::bucket(lat)];
            *c = c.saturating_sub(1);
        }
    }

    /// (upper bound in ms, count); the last bound is `i64::MAX`.
    pub fn buckets(&self) -> Vec<(i64, u32)> {
        BOUNDS
            .iter()
            .copied()
            .chain([i64::MAX])
            .zip(self.counts)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::verdicts::{Evidence, VerdictKind};
    use std::rc::Rc;

    fn at(t: Millis, latency: Option<i64>) -> MessageRow {
        MessageRow {
            at: t,
            topic: "t".into(),
            payload: Rc::from(Vec::new()),
            qos: 1,
            dup: false,
            retain: false,
            packet_id: None,
            verdict: VerdictKind::Live,
            certain: true,
            evidence: Evidence::NoReplaySign,
            probe_seq: None,
            latency_ms: latency,
            into_dead_connection: false,
        }
    }

    #[test]
    fn rate_counts_messages_per_bucket_in_the_window() {
        let msgs = [
            at(500, None),
            at(9_100, None),
            at(9_900, None),
            at(10_000, None),
        ];
        assert_eq!(rate(msgs.iter().rev(), 10_000, 1_000, 3), vec![0, 0, 3]);
    }

    #[test]
    fn latencies_fall_into_their_buckets() {
        let msgs = vec![
            at(0, Some(5)),
            at(0, Some(40)),
            at(0, Some(60_000)),
            at(0, None),
        ];
        let mut hist = LatencyHistogram::default();
        for m in &msgs {
            hist.add(m);
        }
        let h = hist.buckets();
        assert_eq!(h[0], (10, 1));
        assert_eq!(h[2], (50, 1));
        assert_eq!(h.last().map(|b| b.1), Some(1));
        hist.remove(&msgs[0]);
        assert_eq!(
            hist.buckets()[0],
            (10, 0),
            "an evicted message leaves the histogram"
        );
    }
}
