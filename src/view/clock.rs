//! How the page writes times and durations: one home for both, so that the message list,
//! packet log, timeline, ack timers and diagnostics read alike.

use ackscope_core::time::Millis;

/// The time of day (UTC) of an epoch-milliseconds instant: `HH:MM:SS.mmm`.
pub fn time_of_day(ms: Millis) -> String {
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

/// A duration in seconds with one decimal: `1.5 s` (the core writes evidence the same way).
pub fn seconds(ms: Millis) -> String {
    ackscope_core::time::format_seconds(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day_is_utc_with_milliseconds() {
        assert_eq!(time_of_day(0), "00:00:00.000");
        // 2024-01-02 03:04:05.006 UTC
        assert_eq!(time_of_day(1_704_164_645_006), "03:04:05.006");
        assert_eq!(time_of_day(86_399_999), "23:59:59.999");
    }

    #[test]
    fn seconds_have_one_decimal() {
        assert_eq!(seconds(0), "0.0 s");
        assert_eq!(seconds(1_500), "1.5 s");
        assert_eq!(seconds(7_499), "7.5 s");
        assert_eq!(seconds(10_000), "10.0 s");
    }
}
