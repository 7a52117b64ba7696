//! The answer at a glance: what came in since the last connect, in one line per language.
//! Built from the log's `SinceConnect` and the session's probe summaries; pure, so the
//! wording is tested here and the components only lay it out.

use super::clock::{duration, duration_zh};
use super::log::{Notice, SinceConnect};
use ackscope_core::probe::SeriesSummary;
use ackscope_core::text::Bilingual;
use ackscope_core::time::Millis;

/// Counts since the last CONNACK, and the sentence that tells them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Glance {
    /// CONNACK time and Session Present of the connection counted; `None` before one.
    pub connack: Option<(Millis, bool)>,
    pub offline: u64,
    pub live: u64,
    pub retained: u64,
    pub redelivered: u64,
    pub duplicate: u64,
    /// Gaps in the probe series seen since the connect; `None` when no probe came in.
    pub missing: Option<u64>,
    pub max_latency_ms: Option<i64>,
    /// "10 offline replayed, 1.4 to 3.3 s late, none missing".
    pub line: Bilingual,
}

impl Glance {
    pub fn of(since: &SinceConnect, summaries: &[(String, SeriesSummary)]) -> Self {
        let missing = (!since.series.is_empty()).then(|| {
            summaries
                .iter()
                .filter(|(id, _)| since.series.iter().any(|s| s == id))
                .map(|(_, s)| s.missing_count)
                .sum()
        });
        Glance {
            connack: since.connack,
            offline: since.offline,
            live: since.live,
            retained: since.retained,
            redelivered: since.redelivered,
            duplicate: since.duplicate,
            missing,
            max_latency_ms: since.max_latency_ms,
            line: line(since, missing),
        }
    }

    /// `data-missing`: the sum of gaps, 0 when no probe series came in.
    pub fn missing_count(&self) -> u64 {
        self.missing.unwrap_or(0)
    }
}

/// "1.4 to 3.3 s" when both ends share a unit, else "850 ms to 1.2 s"; one value when equal.
fn range(lo: i64, hi: i64, fmt: fn(i64) -> String, to: &str) -> String {
    let (a, b) = (fmt(lo), fmt(hi));
    if a == b {
        return a;
    }
    match (a.rsplit_once(' '), b.rsplit_once(' ')) {
        (Some((na, ua)), Some((_, ub))) if ua == ub && !na.contains(' ') => format!("{na}{to}{b}"),
        _ => format!("{a}{to}{b}"),
    }
}

fn line(s: &SinceConnect, missing: Option<u64>) -> Bilingual {
    if s.connack.is_none() {
        return Bilingual::new(
            "Not connected yet: counts start at the next CONNACK.",
            "尚未连接:计数从下一个 CONNACK 开始。",
        );
    }
    let mut en: Vec<String> = Vec::new();
    let mut zh: Vec<String> = Vec::new();
    if s.offline > 0 {
        match s.offline_latency {
            Some((lo, hi)) => {
                en.push(format!(
                    "{} offline replayed, {} late",
                    s.offline,
                    range(lo, hi, duration, " to ")
                ));
                zh.push(format!(
                    "已重放 {} 条离线消息,晚到 {}",
                    s.offline,
                    range(lo, hi, duration_zh, " 至 ")
                ));
            }
            None => {
                en.push(format!("{} offline replayed", s.offline));
                zh.push(format!("已重放 {} 条离线消息", s.offline));
            }
        }
    } else {
        en.push("no offline messages".into());
        zh.push("没有离线消息".into());
    }
    if s.redelivered_returned > 0 {
        let r = s.redelivered_returned;
        en.push(format!(
            "{} redelivered ({r} of them returned with the session)",
            s.redelivered
        ));
        zh.push(format!("{} 条重投(其中 {r} 条随会话返回)", s.redelivered));
    }
    let redelivered = if s.redelivered_returned > 0 {
        0
    } else {
        s.redelivered
    };
    for (n, e, z) in [
        (redelivered, "redelivered", "重投"),
        (s.duplicate, "duplicate", "重复"),
        (s.retained, "retained", "保留"),
        (s.live, "live", "实时"),
    ] {
        if n > 0 {
            let plural = if e == "duplicate" && n > 1 { "s" } else { "" };
            en.push(format!("{n} {e}{plural}"));
            zh.push(format!("{n} 条{z}"));
        }
    }
    match missing {
        Some(0) => {
            en.push("none missing".into());
            zh.push("无缺失".into());
        }
        Some(n) => {
            en.push(format!("{n} missing"));
            zh.push(format!("缺失 {n} 条"));
        }
        None => {}
    }
    Bilingual::new(en.join(", "), zh.join(","))
}

/// The last time a connection of this device ended, and why: the newest close, refusal or
/// broker-side close of a silent connection in the timeline.
pub fn last_close<'a>(timeline: impl DoubleEndedIterator<Item = &'a Notice>) -> Option<&'a Notice> {
    timeline
        .rev()
        .find(|n| matches!(n.kind, "closed" | "refused" | "silent-closed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since(offline: u64, latency: Option<(i64, i64)>, series: &[&str]) -> SinceConnect {
        SinceConnect {
            connack: Some((1_000, true)),
            offline,
            offline_latency: latency,
            max_latency_ms: latency.map(|l| l.1),
            series: series.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn summary(missing: u64) -> SeriesSummary {
        SeriesSummary {
            missing_count: missing,
            ..Default::default()
        }
    }

    #[test]
    fn the_seed_answer_in_one_line_in_both_languages() {
        let g = Glance::of(
            &since(10, Some((1_400, 3_349)), &["s1"]),
            &[("s1".into(), summary(0))],
        );
        assert_eq!(
            g.line.en,
            "10 offline replayed, 1.4 to 3.3 s late, none missing"
        );
        assert_eq!(g.line.zh, "已重放 10 条离线消息,晚到 1.4 至 3.3 秒,无缺失");
        assert_eq!(
            (g.offline, g.missing_count(), g.max_latency_ms),
            (10, 0, Some(3_349))
        );
    }

    #[test]
    fn mixed_units_and_equal_ends() {
        let g = Glance::of(&since(2, Some((850, 1_200)), &[]), &[]);
        assert_eq!(g.line.en, "2 offline replayed, 850 ms to 1.2 s late");
        assert_eq!(
            g.missing, None,
            "no probe series: nothing to say about gaps"
        );
        let g = Glance::of(&since(1, Some((18_970, 18_970)), &[]), &[]);
        assert_eq!(g.line.en, "1 offline replayed, 19.0 s late");
        assert_eq!(g.line.zh, "已重放 1 条离线消息,晚到 19.0 秒");
    }

    #[test]
    fn redelivered_copies_that_returned_with_the_session_say_so() {
        let mut s = since(2, None, &[]);
        s.redelivered = 3;
        s.redelivered_returned = 1;
        let g = Glance::of(&s, &[]);
        assert_eq!(
            g.line.en,
            "2 offline replayed, 3 redelivered (1 of them returned with the session)"
        );
        assert_eq!(
            g.line.zh,
            "已重放 2 条离线消息,3 条重投(其中 1 条随会话返回)"
        );
    }

    #[test]
    fn only_series_seen_since_the_connect_count_as_missing() {
        let g = Glance::of(
            &since(3, None, &["b"]),
            &[("a".into(), summary(7)), ("b".into(), summary(2))],
        );
        assert_eq!(g.missing, Some(2));
        assert_eq!(g.line.en, "3 offline replayed, 2 missing");
        assert_eq!(g.line.zh, "已重放 3 条离线消息,缺失 2 条");
    }

    #[test]
    fn other_verdicts_and_the_state_before_any_connect() {
        let mut s = since(0, None, &[]);
        s.live = 4;
        s.redelivered = 1;
        s.duplicate = 2;
        let g = Glance::of(&s, &[]);
        assert_eq!(
            g.line.en,
            "no offline messages, 1 redelivered, 2 duplicates, 4 live"
        );
        assert_eq!(g.line.zh, "没有离线消息,1 条重投,2 条重复,4 条实时");
        let g = Glance::of(&SinceConnect::default(), &[]);
        assert!(g.line.en.starts_with("Not connected yet"));
        assert_eq!(g.connack, None);
    }

    #[test]
    fn the_last_close_is_the_newest_one() {
        let n = |at, kind| Notice {
            at,
            kind,
            en: String::new(),
            zh: String::new(),
            error: false,
        };
        let timeline = [
            n(1, "connack"),
            n(2, "closed"),
            n(3, "silent-closed"),
            n(4, "connack"),
        ];
        assert_eq!(last_close(timeline.iter()).map(|n| n.at), Some(3));
        assert_eq!(last_close(timeline[..1].iter()).map(|n| n.at), None);
    }
}
