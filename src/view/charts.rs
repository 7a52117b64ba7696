//! Numbers behind the charts: message rate over time and the probe latency histogram.

use super::MessageRow;
use ackscope_core::time::Millis;

/// Where a device's time axis starts and ends: from its first moment (a timeline entry or a
/// message, whichever came first) to `now`, at least a second wide. `None` with nothing to show.
pub fn axis_span(
    first_entry: Option<Millis>,
    first_message: Option<Millis>,
    now: Millis,
) -> Option<(Millis, Millis)> {
    let start = match (first_entry, first_message) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some((start, now.max(start.saturating_add(1_000))))
}

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
    fn a_recording_an_hour_old_keeps_its_rate_at_its_own_moment() {
        // Recorded at 10 s; shown an hour later: at the page clock the window is empty.
        let msgs = [at(8_500, None), at(9_500, None), at(9_900, None)];
        let recorded_at = super::super::clock::view_now(Some(10_000), 3_610_000);
        assert_eq!(
            rate(msgs.iter().rev(), recorded_at, 1_000, 3),
            vec![0, 1, 2]
        );
        assert_eq!(rate(msgs.iter().rev(), 3_610_000, 1_000, 3), vec![0, 0, 0]);
    }

    #[test]
    fn the_axis_runs_from_the_first_moment_to_now_and_is_never_empty() {
        assert_eq!(
            axis_span(Some(2_000), Some(1_500), 10_000),
            Some((1_500, 10_000))
        );
        assert_eq!(axis_span(Some(2_000), None, 2_100), Some((2_000, 3_000)));
        assert_eq!(axis_span(None, Some(5_000), 9_000), Some((5_000, 9_000)));
        assert_eq!(axis_span(None, None, 9_000), None);
        // A recording's moment ends its axis, not today's clock.
        let end = super::super::clock::view_now(Some(60_000), 3_600_000);
        assert_eq!(axis_span(Some(1_000), None, end), Some((1_000, 60_000)));
        assert_eq!(
            axis_span(Some(Millis::MAX), None, 0),
            Some((Millis::MAX, Millis::MAX))
        );
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
