//! What the page shows of a probe series' story: the receiver's happenings, where it was at
//! the start, messages by verdict, and the sentences that say it in both languages.

use crate::text::Bilingual;
use crate::time::Millis;
use crate::verdicts::VerdictKind;

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
    /// CONNACK 0 on a new connection (`again`: the device had connected before).
    Connected { session_present: bool, again: bool },
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
            Happening::Connected {
                session_present,
                again,
            } => match (again, session_present) {
                (true, true) => "reconnected-sp1",
                (true, false) => "reconnected-sp0",
                (false, true) => "connected-sp1",
                (false, false) => "connected-sp0",
            },
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
            Happening::Connected {
                session_present,
                again,
            } => {
                let sp = u8::from(session_present);
                let (en, zh) = if again {
                    ("reconnected", "已重连")
                } else {
                    ("connected", "已连接")
                };
                Bilingual::new(
                    format!("{en}, Session Present {sp}"),
                    format!("{zh},Session Present {sp}"),
                )
            }
        }
    }

    pub(super) fn is_away(self) -> bool {
        !matches!(self, Happening::Connected { .. })
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
    pub(super) fn add(&mut self, kind: VerdictKind) {
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
