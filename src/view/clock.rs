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

/// The clock a device's views read: the page's for a live device; for a recorded one the
/// moment its recording was made, where its clocks stand still (drawn to today's clock, a
/// recording's axis and rate chart would squeeze everything it holds into the far left).
pub fn view_now(recorded_at: Option<Millis>, page_clock: Millis) -> Millis {
    recorded_at.unwrap_or(page_clock)
}

/// A duration in seconds with one decimal: `1.5 s` (the core writes evidence the same way).
pub fn seconds(ms: Millis) -> String {
    ackscope_core::time::format_seconds(ms)
}

/// A duration in human units: `850 ms` under a second, `19.0 s` under a minute, then
/// `2 min 05 s` and `1 h 02 min`. Negative durations (a sender's clock ahead) keep their sign.
pub fn duration(ms: i64) -> String {
    human(ms, ["ms", "s", "min", "h"])
}

/// The same in Chinese units: `850 毫秒`, `19.0 秒`, `2 分 05 秒`, `1 小时 02 分`.
pub fn duration_zh(ms: i64) -> String {
    human(ms, ["毫秒", "秒", "分", "小时"])
}

fn human(ms: i64, [ms_unit, s_unit, min_unit, h_unit]: [&str; 4]) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    if abs < 1_000 {
        return format!("{sign}{abs} {ms_unit}");
    }
    // Rounded to tenths first, so that 59,960 ms reads "1 min 00 s", not "60.0 s".
    let tenths = (abs + 50) / 100;
    if tenths < 600 {
        return format!("{sign}{}.{} {s_unit}", tenths / 10, tenths % 10);
    }
    let secs = (abs + 500) / 1_000;
    if secs < 3_600 {
        return format!("{sign}{} {min_unit} {:02} {s_unit}", secs / 60, secs % 60);
    }
    let mins = (abs + 30_000) / 60_000;
    format!("{sign}{} {h_unit} {:02} {min_unit}", mins / 60, mins % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_human_units() {
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(999), "999 ms");
        assert_eq!(duration(1_000), "1.0 s");
        assert_eq!(duration(1_449), "1.4 s");
        assert_eq!(duration(18_970), "19.0 s");
        assert_eq!(duration(59_940), "59.9 s");
        assert_eq!(duration(59_960), "1 min 00 s");
        assert_eq!(duration(125_000), "2 min 05 s");
        assert_eq!(duration(3_599_400), "59 min 59 s");
        assert_eq!(duration(3_600_000), "1 h 00 min");
        assert_eq!(duration(3_720_000), "1 h 02 min");
        assert_eq!(duration(-12), "-12 ms");
        assert_eq!(duration(-2_500), "-2.5 s");
        assert_eq!(duration(i64::MIN).chars().next(), Some('-'));
    }

    #[test]
    fn chinese_durations_use_chinese_units() {
        assert_eq!(duration_zh(850), "850 毫秒");
        assert_eq!(duration_zh(18_970), "19.0 秒");
        assert_eq!(duration_zh(125_000), "2 分 05 秒");
        assert_eq!(duration_zh(3_720_000), "1 小时 02 分");
    }

    #[test]
    fn time_of_day_is_utc_with_milliseconds() {
        assert_eq!(time_of_day(0), "00:00:00.000");
        // 2024-01-02 03:04:05.006 UTC
        assert_eq!(time_of_day(1_704_164_645_006), "03:04:05.006");
        assert_eq!(time_of_day(86_399_999), "23:59:59.999");
    }

    #[test]
    fn a_recorded_device_reads_its_recorded_moment_not_the_page_clock() {
        assert_eq!(view_now(Some(1_000), 9_000_000), 1_000);
        assert_eq!(view_now(None, 9_000_000), 9_000_000);
    }

    #[test]
    fn seconds_have_one_decimal() {
        assert_eq!(seconds(0), "0.0 s");
        assert_eq!(seconds(1_500), "1.5 s");
        assert_eq!(seconds(7_499), "7.5 s");
        assert_eq!(seconds(10_000), "10.0 s");
    }
}
