//! Time as the core sees it: plain milliseconds handed in by the driver.

/// Milliseconds on the driver's clock (the page uses Unix epoch milliseconds, so that
/// probe send times from one device compare with receive times on another).
pub type Millis = u64;

/// `deadline - now`, or zero once the deadline has passed.
pub fn remaining(deadline: Millis, now: Millis) -> Millis {
    deadline.saturating_sub(now)
}

/// A duration in seconds with one decimal, as the page writes durations: `1.5 s`.
pub fn format_seconds(ms: Millis) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The same duration as the Chinese page writes it: `1.5 秒`.
pub fn format_seconds_zh(ms: Millis) -> String {
    format!("{:.1} 秒", ms as f64 / 1000.0)
}
