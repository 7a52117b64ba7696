//! Probes: messages ackscope publishes with a small header so that the receiving side can
//! compute latency and find gaps and duplicates in a numbered series.
//!
//! The header is one text line, `ackscope-probe/1 <series> <seq> <sent-ms>`, followed by an
//! optional newline and body. Payloads without it are shown untouched.

mod plan;
mod story;
mod tracker;

pub use plan::{ProbePlan, ProbePlanError, MAX_PROBE_COUNT, MAX_PROBE_INTERVAL_MS};
pub use story::{AtStart, Happening, SeriesStories, SeriesStory, VerdictCounts};
pub use tracker::{ProbeTracker, SeriesSummary, MISSING_LISTED};

use crate::time::Millis;

const MAGIC: &str = "ackscope-probe/1 ";

/// The header of a probe message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Probe {
    pub series: String,
    pub seq: u32,
    pub sent_at: Millis,
}

impl Probe {
    /// The payload of this probe with an optional body after the header line.
    pub fn encode(&self, body: &str) -> Vec<u8> {
        let mut text = format!("{MAGIC}{} {} {}", self.series, self.seq, self.sent_at);
        if !body.is_empty() {
            text.push('\n');
            text.push_str(body);
        }
        text.into_bytes()
    }

    /// Reads the header of a payload; `None` when it is not a probe.
    pub fn parse(payload: &[u8]) -> Option<Probe> {
        let rest = payload.strip_prefix(MAGIC.as_bytes())?;
        let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        let mut parts = line.split(' ');
        let series = parts.next().filter(|s| valid_series(s))?.to_string();
        let seq = parts.next()?.parse().ok()?;
        let sent_at = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Probe {
            series,
            seq,
            sent_at,
        })
    }
}

fn valid_series(series: &str) -> bool {
    !series.is_empty()
        && series.len() <= 32
        && series
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Receive time minus the send time a probe claims: negative when the sender's clock is
/// ahead. Any publisher writes the header, so this never overflows, whatever it claims.
pub fn latency_ms(received_at: Millis, sent_at: Millis) -> i64 {
    let d = i128::from(received_at) - i128::from(sent_at);
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A series id from a seed the driver supplies (the core has no randomness of its own).
pub fn series_id(seed: u64) -> String {
    format!("s{:x}", seed & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_survives_encoding_and_parsing() {
        let probe = Probe {
            series: "s1a2b".into(),
            seq: 42,
            sent_at: 1_700_000_000_123,
        };
        assert_eq!(Probe::parse(&probe.encode("")), Some(probe.clone()));
        assert_eq!(Probe::parse(&probe.encode("body\nmore")), Some(probe));
    }

    #[test]
    fn a_hostile_send_time_gives_a_latency_without_overflow() {
        let p = Probe::parse(b"ackscope-probe/1 s1 1 9223372036854775808").expect("a probe");
        assert_eq!(
            latency_ms(1_000, p.sent_at),
            1_000 - 9_223_372_036_854_775_807 - 1
        );
        assert_eq!(latency_ms(0, u64::MAX), i64::MIN);
        assert_eq!(latency_ms(u64::MAX, 0), i64::MAX);
        assert_eq!(latency_ms(1_500, 1_000), 500);
    }

    #[test]
    fn payloads_without_the_header_are_not_probes() {
        assert_eq!(Probe::parse(b"hello"), None);
        assert_eq!(Probe::parse(b"ackscope-probe/1 s1 x 5"), None);
        assert_eq!(Probe::parse(b"ackscope-probe/1 s1 1 5 extra"), None);
        assert_eq!(Probe::parse(b"ackscope-probe/1 bad/series 1 5"), None);
        assert_eq!(Probe::parse(&[0xff, 0xfe]), None);
    }
}
