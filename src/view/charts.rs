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
        let mut hist = super::super::latency::LatencyHistogram::default();
        for m in &msgs {
            hist.add(m.latency_ms);
        }
        let h = hist.buckets();
        assert_eq!(h[0], (10, 1));
        assert_eq!(h[2], (50, 1));
        assert_eq!(h.last().map(|b| b.1), Some(1));
        hist.remove(msgs[0].latency_ms);
        assert_eq!(
            hist.buckets()[0],
            (10, 0),
            "an evicted message leaves the histogram"
        );
    }
}
