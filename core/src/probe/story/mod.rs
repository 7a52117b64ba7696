//! The story of each probe series a device received: when it started, what happened to the
//! receiving device while it ran, its messages per verdict, the latency range, and its copies
//! counted honestly.
//!
//! Design: a message is one (series, seq). Every copy of it that arrived is a delivery. The
//! copy that gives the message its verdict and latency is the first one that arrived on a
//! live connection: a copy pushed into a silent device's dead connection is never acked,
//! so the application never had it. A message pushed into a dead connection and redelivered
//! with DUP=1 is therefore one message delivered twice, never two messages.
//!
//! The series' start is the earliest send time its probes claim (the sender's clock); the
//! receiver's happenings are on the receiver's clock. On one page they are the same clock.

use super::latency_ms;
use crate::session::{CloseReason, ConnState, Event, IncomingMessage};
use crate::text::Bilingual;
use crate::time::Millis;
use crate::verdicts::VerdictKind;
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// Series told at once; the least recently active goes first (any publisher picks ids).
const MAX_SERIES: usize = 64;
/// Happenings of the receiving device remembered; older ones go first.
const MAX_HAPPENINGS: usize = 256;
/// Distinct sequence numbers remembered per series: past this, a copy of a number not seen
/// yet counts as a new message (a hostile sender cannot grow the page without limit).
const MAX_SEQS: usize = 1 << 20;
/// Happenings named in a label; more are counted.
const NAMED: usize = 6;

/// Something that happened to the receiving device's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happening {
    /// DISCONNECT sent by the user.
    Disconnected,
    /// Socket closed by the user without DISCONNECT.
    Dropped,
    /// The network went (or the user made the device silent): the socket stays open.
    WentSilent,
    /// Closed by the broker or the network.
    ConnectionLost,
    /// The broker noticed the silence and closed the dead connection.
    SilentConnectionClosed,
    /// CONNACK 0 on a new connection.
    Reconnected { session_present: bool },
}

impl Happening {
    /// Its id in `data-story`.
    pub fn as_str(self) -> &'static str {
        match self {
            Happening::Disconnected => "disconnected",
            Happening::Dropped => "dropped",
            Happening::WentSilent => "silent",
            Happening::ConnectionLost => "lost",
            Happening::SilentConnectionClosed => "silent-closed",
            Happening::Reconnected {
                session_present: true,
            } => "reconnected-sp1",
            Happening::Reconnected {
                session_present: false,
            } => "reconnected-sp0",
        }
    }

    pub fn text(self) -> Bilingual {
        match self {
            Happening::Disconnected => Bilingual::new("receiver disconnected", "接收端已断开"),
            Happening::Dropped => Bilingual::new("receiver dropped", "接收端被强制断开"),
            Happening::WentSilent => Bilingual::new("receiver went silent", "接收端进入静默"),
            Happening::ConnectionLost => {
                Bilingual::new("receiver's connection lost", "接收端连接中断")
            }
            Happening::SilentConnectionClosed => Bilingual::new(
                "the broker closed the silent connection",
                "服务端关闭了静默连接",
            ),
            Happening::Reconnected { session_present } => {
                let sp = u8::from(session_present);
                Bilingual::new(
                    format!("reconnected, Session Present {sp}"),
                    format!("已重连,Session Present {sp}"),
                )
            }
        }
    }

    fn is_away(self) -> bool {
        !matches!(self, Happening::Reconnected { .. })
    }
}

/// Where the receiving device was when the series started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtStart {
    Connected,
    /// Away, and how it went away.
    Away(Happening),
    /// It had not connected yet.
    NotConnected,
    /// Older than what is remembered.
    Unknown,
}

/// Messages by the verdict of the copy that counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictCounts {
    pub live: u64,
    pub offline: u64,
    pub retained: u64,
    pub redelivered: u64,
    pub duplicate: u64,
}

impl VerdictCounts {
    fn add(&mut self, kind: VerdictKind) {
        match kind {
            VerdictKind::Live => self.live += 1,
            VerdictKind::Offline => self.offline += 1,
            VerdictKind::Retained => self.retained += 1,
            VerdictKind::Redelivered => self.redelivered += 1,
            VerdictKind::Duplicate => self.duplicate += 1,
        }
    }

    pub fn get(&self, kind: VerdictKind) -> u64 {
        match kind {
            VerdictKind::Live => self.live,
            VerdictKind::Offline => self.offline,
            VerdictKind::Retained => self.retained,
            VerdictKind::Redelivered => self.redelivered,
            VerdictKind::Duplicate => self.duplicate,
        }
    }

    /// (verdict, count) in the page's order, the zero counts left out.
    pub fn nonzero(&self) -> Vec<(VerdictKind, u64)> {
        [
            (VerdictKind::Offline, self.offline),
            (VerdictKind::Live, self.live),
            (VerdictKind::Redelivered, self.redelivered),
            (VerdictKind::Duplicate, self.duplicate),
            (VerdictKind::Retained, self.retained),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// One probe series as the receiving device lived it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesStory {
    /// The earliest send time its probes claim.
    pub started_at: Millis,
    /// When its last copy arrived.
    pub last_arrival_at: Millis,
    pub at_start: AtStart,
    /// What happened to the receiver from the start to the last arrival, in order.
    pub happenings: Vec<(Millis, Happening)>,
    /// Distinct messages that reached the device on a live connection.
    pub messages: u64,
    /// Every copy that arrived, those pushed into a dead connection included.
    pub copies: u64,
    /// Messages whose copy went into a dead connection and came again on a live one.
    pub twice_via_dead: u64,
    /// Messages only pushed into a dead connection so far (never acked, not back yet).
    pub dead_only: u64,
    /// Copies on live connections beyond each message's first.
    pub extra_copies: u64,
    pub verdicts: VerdictCounts,
    /// (min, max) latency of the copies that count, in ms.
    pub latency: Option<(i64, i64)>,
}

impl SeriesStory {
    /// `data-story`: where the receiver was at the start, then each happening.
    pub fn ids(&self) -> String {
        let start = match self.at_start {
            AtStart::Connected => "start:connected".to_string(),
            AtStart::Away(h) => format!("start:{}", h.as_str()),
            AtStart::NotConnected => "start:not-connected".to_string(),
            AtStart::Unknown => "start:unknown".to_string(),
        };
        std::iter::once(start)
            .chain(self.happenings.iter().map(|(_, h)| h.as_str().to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What happened while it ran, in one line: "before it started: receiver disconnected ·
    /// reconnected, Session Present 1".
    pub fn label(&self) -> Bilingual {
        let mut en = Vec::new();
        let mut zh = Vec::new();
        match self.at_start {
            AtStart::Away(h) => {
                let t = h.text();
                en.push(format!("before it started: {}", t.en));
                zh.push(format!("开始前:{}", t.zh));
            }
            AtStart::NotConnected => {
                en.push("receiver not connected when it started".to_string());
                zh.push("开始时接收端未连接".to_string());
            }
            AtStart::Connected | AtStart::Unknown => {}
        }
        for (_, h) in self.happenings.iter().take(NAMED) {
            let t = h.text();
            en.push(t.en);
            zh.push(t.zh);
        }
        if self.happenings.len() > NAMED {
            let more = self.happenings.len() - NAMED;
            en.push(format!("{more} more"));
            zh.push(format!("另有 {more} 件"));
        }
        if en.is_empty() {
            let stayed = self.at_start == AtStart::Connected;
            return if stayed {
                Bilingual::new("receiver stayed connected", "接收端全程在线")
            } else {
                Bilingual::new("receiver connected while it ran", "运行期间接收端在线")
            };
        }
        Bilingual::new(en.join(" · "), zh.join(","))
    }

    /// Messages and copies, honestly: "5 messages, 7 copies: 2 delivered twice (first
    /// pushed into a dead connection, then redelivered with DUP=1)".
    pub fn copies_text(&self) -> Bilingual {
        let (m, c) = (self.messages, self.copies);
        let mut en = vec![format!(
            "{m} message{}, {c} cop{}",
            plural(m, "", "s"),
            plural(c, "y", "ies")
        )];
        let mut zh = vec![format!("{m} 条消息,{c} 份副本")];
        if self.twice_via_dead > 0 {
            let n = self.twice_via_dead;
            en.push(format!("{n} delivered twice (first pushed into a dead connection, then redelivered with DUP=1)"));
            zh.push(format!(
                "{n} 条投递了两次(先推送到失效连接,再以 DUP=1 重投)"
            ));
        }
        if self.extra_copies > 0 {
            let n = self.extra_copies;
            en.push(format!(
                "{n} extra cop{} on live connections",
                plural(n, "y", "ies")
            ));
            zh.push(format!("在线连接上多收 {n} 份"));
        }
        if self.dead_only > 0 {
            let n = self.dead_only;
            en.push(format!(
                "{n} only pushed into a dead connection (never acked, not back yet)"
            ));
            zh.push(format!("{n} 条只推送到了失效连接(始终未确认,尚未重投)"));
        }
        if en.len() == 1 {
            en[0].push_str(": each delivered once");
            zh[0].push_str(":每条投递一次");
            return Bilingual::new(en.remove(0), zh.remove(0));
        }
        let head_en = en.remove(0);
        let head_zh = zh.remove(0);
        Bilingual::new(
            format!("{head_en}: {}", en.join("; ")),
            format!("{head_zh}:{}", zh.join(";")),
        )
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One message's copies so far.
#[derive(Clone, Copy, Debug, Default)]
struct Copies {
    live: u32,
    dead: u32,
}

#[derive(Clone, Debug, Default)]
struct Series {
    started_at: Millis,
    last_arrival_at: Millis,
    seqs: BTreeMap<u32, Copies>,
    messages: u64,
    copies: u64,
    twice_via_dead: u64,
    dead_only: u64,
    extra_copies: u64,
    verdicts: VerdictCounts,
    latency: Option<(i64, i64)>,
    /// The teller's clock at this series' last copy (eviction order).
    last_active: u64,
}

impl Series {
    fn record(&mut self, m: &IncomingMessage, seq: u32, sent_at: Millis) {
        self.started_at = self.started_at.min(sent_at);
        self.last_arrival_at = self.last_arrival_at.max(m.at);
        self.copies += 1;
        let known = self.seqs.len() < MAX_SEQS || self.seqs.contains_key(&seq);
        let before = if known {
            *self.seqs.entry(seq).or_default()
        } else {
            Copies::default()
        };
        let mut after = before;
        if m.into_dead_connection {
            after.dead = after.dead.saturating_add(1);
            if before.dead == 0 && before.live == 0 {
                self.dead_only += 1;
            }
        } else {
            after.live = after.live.saturating_add(1);
            if before.live == 0 {
                // The copy that counts: its verdict and latency are the message's.
                self.messages += 1;
                self.verdicts.add(m.verdict.kind);
                let lat = latency_ms(m.at, sent_at);
                self.latency = Some(
                    self.latency
                        .map_or((lat, lat), |(lo, hi)| (lo.min(lat), hi.max(lat))),
                );
                if before.dead > 0 {
                    self.dead_only = self.dead_only.saturating_sub(1);
                    self.twice_via_dead += 1;
                }
            } else {
                self.extra_copies += 1;
            }
        }
        if known {
            self.seqs.insert(seq, after);
        }
    }
}

/// Tells the story of every probe series a device receives: fed the device's session events
/// in order, as the page and a replayed recording both do.
#[derive(Clone, Debug, Default)]
pub struct SeriesStories {
    series: BTreeMap<String, Series>,
    happenings: Vec<(Millis, Happening)>,
    /// Happenings older than the ones kept were dropped.
    trimmed: bool,
    online: bool,
    clock: u64,
}

impl SeriesStories {
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Message(m) => {
                if let Some((series, seq, sent_at)) = &m.probe {
                    self.copy(m, series, *seq, *sent_at);
                }
            }
            Event::Connected {
                at,
                session_present,
                ..
            } => {
                self.online = true;
                self.happen(
                    *at,
                    Happening::Reconnected {
                        session_present: *session_present,
                    },
                );
            }
            Event::State {
                at,
                state: ConnState::Silent,
            } if self.online => {
                self.online = false;
                self.happen(*at, Happening::WentSilent);
            }
            Event::Closed { at, reason, .. } if self.online => {
                self.online = false;
                let h = match reason {
                    CloseReason::UserDisconnect => Happening::Disconnected,
                    CloseReason::UserDrop => Happening::Dropped,
                    _ => Happening::ConnectionLost,
                };
                self.happen(*at, h);
            }
            Event::SilentConnectionClosed {
                at,
                taken_over: false,
                ..
            } => self.happen(*at, Happening::SilentConnectionClosed),
            _ => {}
        }
    }

    fn happen(&mut self, at: Millis, h: Happening) {
        if self.happenings.len() >= MAX_HAPPENINGS {
            self.happenings.remove(0);
            self.trimmed = true;
        }
        self.happenings.push((at, h));
    }

    fn copy(&mut self, m: &IncomingMessage, series: &str, seq: u32, sent_at: Millis) {
        self.clock += 1;
        if !self.series.contains_key(series) && self.series.len() >= MAX_SERIES {
            let oldest = self
                .series
                .iter()
                .min_by_key(|(_, s)| s.last_active)
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                self.series.remove(&id);
            }
        }
        let s = self
            .series
            .entry(series.to_string())
            .or_insert_with(|| Series {
                started_at: sent_at,
                last_arrival_at: m.at,
                ..Default::default()
            });
        s.last_active = self.clock;
        s.record(m, seq, sent_at);
    }

    /// The story of one series, if any copy of it arrived.
    pub fn story(&self, series: &str) -> Option<SeriesStory> {
        let s = self.series.get(series)?;
        // A sender's clock ahead of the receiver's can put the start after the arrivals.
        let end = s.last_arrival_at.max(s.started_at);
        let before = self
            .happenings
            .iter()
            .rev()
            .find(|(at, _)| *at < s.started_at);
        let at_start = match before {
            Some((_, h)) if h.is_away() => AtStart::Away(*h),
            Some(_) => AtStart::Connected,
            None if self.trimmed => AtStart::Unknown,
            None => AtStart::NotConnected,
        };
        let happenings = self
            .happenings
            .iter()
            .filter(|(at, _)| (s.started_at..=end).contains(at))
            .copied()
            .collect();
        Some(SeriesStory {
            started_at: s.started_at,
            last_arrival_at: s.last_arrival_at,
            at_start,
            happenings,
            messages: s.messages,
            copies: s.copies,
            twice_via_dead: s.twice_via_dead,
            dead_only: s.dead_only,
            extra_copies: s.extra_copies,
            verdicts: s.verdicts,
            latency: s.latency,
        })
    }
}
