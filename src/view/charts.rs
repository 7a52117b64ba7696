//! Numbers behind the charts: message rate over time and the probe latency histogram.

use super::MessageRow;
use ackscope_core::time::Millis;

/// Messages per bucket over the last `buckets * bucket_ms` before `now`, oldest first.
pub fn rate(messages: &[MessageRow], now: Millis, bucket_ms: Millis, buckets: usize) -> Vec<u32> {
    let mut out = vec![0u32; buckets];
    let span = bucket_ms * buckets as Millis;
    let start = now.saturating_sub(span);
    // Newest messages are last: walk back until out of the window.
    for m in messages.iter().rev() {
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

/// A latency histogram: (upper bound in ms, count); the last bucket holds everything above.
pub fn latency_histogram(messages: &[MessageRow]) -> Vec<(i64, u32)> {
    const BOUNDS: [i64; 9] = [10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000];
    let mut out: Vec<(i64, u32)> = BOUNDS.iter().map(|b| (*b, 0)).collect();
    out.push((i64::MAX, 0));
    for lat in messages.iter().filter_map(|m| m.latency_ms) {
        let i = BOUNDS
            .iter()
            .position(|b| lat <= *b)
            .unwrap_or(BOUNDS.len());
        out[i].1 += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::verdicts::{Evidence, VerdictKind};

    fn at(t: Millis, latency: Option<i64>) -> MessageRow {
        MessageRow {
            at: t,
            topic: "t".into(),
            payload: vec![],
            payload_text: String::new(),
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
        let msgs = vec![
            at(500, None),
            at(9_100, None),
            at(9_900, None),
            at(10_000, None),
        ];
        assert_eq!(rate(&msgs, 10_000, 1_000, 3), vec![0, 0, 3]);
    }

    #[test]
    fn latencies_fall_into_their_buckets() {
        let msgs = vec![
            at(0, Some(5)),
            at(0, Some(40)),
            at(0, Some(60_000)),
            at(0, None),
        ];
        let h = latency_histogram(&msgs);
        assert_eq!(h[0], (10, 1));
        assert_eq!(h[2], (50, 1));
        assert_eq!(h.last().map(|b| b.1), Some(1));
    }
}
