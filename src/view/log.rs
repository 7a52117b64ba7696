//! Everything a device has seen, as rows ready to render.

use super::latency::LatencyHistogram;
use super::ring::Ring;
use ackscope_core::framing::hex;
use ackscope_core::session::{Event, IncomingMessage, PacketRecord};
use ackscope_core::time::Millis;
use ackscope_core::verdicts::{returned_with_session, Certainty, Evidence, VerdictKind};
use std::borrow::Cow;
use std::rc::Rc;

/// One received message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    pub at: Millis,
    /// Shared with the previous row when it is the same topic (streams repeat topics).
    pub topic: Rc<str>,
    /// Stored once; cloning a row for the screen copies a pointer, not the payload.
    pub payload: Rc<[u8]>,
    pub qos: u8,
    pub dup: bool,
    pub retain: bool,
    pub packet_id: Option<u16>,
    pub verdict: VerdictKind,
    pub certain: bool,
    pub evidence: Evidence,
    pub probe_seq: Option<u32>,
    pub latency_ms: Option<i64>,
    pub into_dead_connection: bool,
}

impl MessageRow {
    /// The payload as text, made when asked (for the rows on screen, filters, exports).
    pub fn payload_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.payload)
    }

    fn from_message(m: IncomingMessage, topic: Rc<str>) -> Self {
        MessageRow {
            at: m.at,
            topic,
            payload: Rc::from(m.payload),
            qos: m.qos,
            dup: m.dup,
            retain: m.retain,
            packet_id: m.packet_id,
            verdict: m.verdict.kind,
            certain: m.verdict.certainty == Certainty::Certain,
            evidence: m.verdict.evidence,
            probe_seq: m.probe.as_ref().map(|p| p.1),
            latency_ms: m
                .probe
                .as_ref()
                .map(|p| ackscope_core::probe::latency_ms(m.at, p.2)),
            into_dead_connection: m.into_dead_connection,
        }
    }
}

/// One packet of the packet log.
#[derive(Clone, Debug, PartialEq)]
pub struct PacketRow {
    pub at: Millis,
    pub outgoing: bool,
    pub kind: &'static str,
    pub packet_id: Option<u16>,
    pub fields: String,
    /// The packet's first bytes (at most `HEAD_BYTES`): the hex dump is made when shown.
    pub head: Vec<u8>,
    /// The packet's full length in bytes.
    pub len: usize,
}

impl PacketRow {
    /// The hex dump of the packet's first bytes, marked when cut short.
    pub fn hex(&self) -> String {
        let mut h = hex(&self.head);
        if self.len > self.head.len() {
            h.push_str(&format!(" … ({} bytes)", self.len));
        }
        h
    }

    fn from_record(r: PacketRecord) -> Self {
        PacketRow {
            at: r.at,
            outgoing: r.direction == ackscope_core::session::Direction::Out,
            kind: r.summary.kind.as_str(),
            packet_id: r.summary.packet_id,
            fields: fields_line(&r.summary.fields),
            len: r.raw.len(),
            // The record's own bytes when they fit (most packets): no copy.
            head: if r.raw.len() <= HEAD_BYTES {
                r.raw
            } else {
                r.raw[..HEAD_BYTES].to_vec()
            },
        }
    }
}

/// The packet's bytes a row keeps for its hex dump.
const HEAD_BYTES: usize = 256;

/// `name=value` pairs joined by spaces, in one string (one per packet, under a flood).
fn fields_line(fields: &[(&'static str, String)]) -> String {
    let mut line = String::with_capacity(fields.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(k);
        line.push('=');
        line.push_str(v);
    }
    line
}

/// A line for the status area and the timeline: both languages, and whether it is bad news.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub at: Millis,
    /// What kind of moment this is on the timeline (`connect`, `connack`, `suback`, ...).
    pub kind: &'static str,
    pub en: String,
    pub zh: String,
    pub error: bool,
}

/// What came in since the last CONNACK: the answer at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinceConnect {
    /// CONNACK time and Session Present of the connection counted; `None` before one.
    pub connack: Option<(Millis, bool)>,
    pub offline: u64,
    pub live: u64,
    pub retained: u64,
    pub redelivered: u64,
    /// Redelivered copies that came back with the session (their first copy went to a dead
    /// or unseen connection): returned offline too, though their verdict is `redelivered`.
    pub redelivered_returned: u64,
    pub duplicate: u64,
    /// Probe latencies of offline messages (min, max), in ms.
    pub offline_latency: Option<(i64, i64)>,
    /// Largest probe latency of any message since the connect.
    pub max_latency_ms: Option<i64>,
    /// Probe series seen since the connect (their gaps are the missing ones).
    pub series: Vec<String>,
}

impl SinceConnect {
    fn count(&mut self, row: &MessageRow, series: Option<&str>) {
        match row.verdict {
            VerdictKind::Offline => self.offline += 1,
            VerdictKind::Live => self.live += 1,
            VerdictKind::Retained => self.retained += 1,
            VerdictKind::Redelivered => self.redelivered += 1,
            VerdictKind::Duplicate => self.duplicate += 1,
        }
        if row.verdict != VerdictKind::Offline && returned_with_session(row.verdict, &row.evidence)
        {
            self.redelivered_returned += 1;
        }
        if let Some(lat) = row.latency_ms {
            self.max_latency_ms = Some(self.max_latency_ms.map_or(lat, |m| m.max(lat)));
            if row.verdict == VerdictKind::Offline {
                self.offline_latency = Some(
                    self.offline_latency
                        .map_or((lat, lat), |(lo, hi)| (lo.min(lat), hi.max(lat))),
                );
            }
        }
        if let Some(s) = series {
            // Bounded like the core's tracker: a hostile publisher picks series ids.
            if !self.series.iter().any(|x| x == s) && self.series.len() < 64 {
                self.series.push(s.to_string());
            }
        }
    }
}

/// Messages a device keeps; older ones are evicted and counted.
pub const MAX_MESSAGES: usize = 1_000_000;
/// Packets the packet log keeps.
pub const MAX_PACKETS: usize = 100_000;
/// Moments the timeline keeps.
pub const MAX_NOTICES: usize = 10_000;

/// Everything a device has seen, bounded.
#[derive(Debug)]
pub struct DeviceLog {
    pub messages: Ring<MessageRow>,
    pub packets: Ring<PacketRow>,
    pub timeline: Ring<Notice>,
    /// The probe latency histogram of the messages held.
    pub latency: LatencyHistogram,
    /// Counts since the last CONNACK.
    pub since_connect: SinceConnect,
    /// The latest problem to show next to the controls (cleared by a successful connect).
    pub error: Option<Notice>,
    /// Each probe series received: its start, what happened meanwhile, honest counts.
    pub probe_stories: ackscope_core::probe::SeriesStories,
}

impl Default for DeviceLog {
    fn default() -> Self {
        DeviceLog::with_limits(MAX_MESSAGES, MAX_PACKETS, MAX_NOTICES)
    }
}

impl DeviceLog {
    pub fn with_limits(messages: usize, packets: usize, notices: usize) -> Self {
        DeviceLog {
            messages: Ring::new(messages),
            packets: Ring::new(packets),
            timeline: Ring::new(notices),
            latency: LatencyHistogram::default(),
            since_connect: SinceConnect::default(),
            error: None,
            probe_stories: Default::default(),
        }
    }

    fn push_message(&mut self, m: IncomingMessage) {
        let topic = match self.messages.last() {
            Some(last) if *last.topic == *m.topic => last.topic.clone(),
            _ => Rc::from(m.topic.as_str()),
        };
        let series = m.probe.as_ref().map(|p| p.0.clone());
        let row = MessageRow::from_message(m, topic);
        if !row.into_dead_connection {
            self.since_connect.count(&row, series.as_deref());
        }
        self.latency.add(row.latency_ms);
        if let Some(gone) = self.messages.push(row) {
            self.latency.remove(gone.latency_ms);
        }
    }

    pub fn apply(&mut self, event: Event) {
        self.probe_stories.observe(&event);
        match event {
            Event::Packet(r) => {
                if r.summary.kind == ackscope_core::framing::PacketKind::Connect {
                    let fields: Vec<String> = r.summary.fields.iter().filter(|(k, v)| *k != "password" && !v.is_empty()).map(|(k, v)| format!("{k}={v}")).collect();
                    self.note(r.at, "connect", false, format!("CONNECT {}", fields.join(" ")), format!("CONNECT {}", fields.join(" ")));
                }
                self.packets.push(PacketRow::from_record(r));
            }
            Event::State { at, state: ackscope_core::session::ConnState::Silent } => self.note(at, "silent", false,
                "Went silent: the socket stays open, nothing is sent, nothing is acknowledged.".into(),
                "进入静默:连接保持打开,不再发送任何数据,也不确认任何消息。".into()),
            Event::Message(m) => self.push_message(m),
            Event::Connected { at, session_present, clean_session, client_id } => {
                self.error = None;
                self.since_connect = SinceConnect { connack: Some((at, session_present)), ..Default::default() };
                self.note(at, "connack", false,
                    format!("CONNACK 0: connected as {client_id}, cleanSession={}, Session Present={}", u8::from(clean_session), u8::from(session_present)),
                    format!("CONNACK 0:已以 {client_id} 连接,cleanSession={},Session Present={}", u8::from(clean_session), u8::from(session_present)));
            }
            Event::Refused { at, refusal } => {
                let t = refusal.text();
                let n = Notice { at, kind: "refused", en: t.en, zh: t.zh, error: true };
                self.timeline.push(n.clone());
                self.error = Some(n);
            }
            Event::Closed { at, reason, .. } => {
                let (t, error) = (reason.text(), reason.is_error());
                let n = Notice { at, kind: "closed", en: t.en, zh: t.zh, error };
                if error {
                    self.error = Some(n.clone());
                }
                self.timeline.push(n);
            }
            Event::Resent { at, packet_ids } => self.note(at, "resent", false,
                format!("Session resumed: resent {} unacknowledged message(s) with DUP=1: ids {packet_ids:?}", packet_ids.len()),
                format!("会话已恢复:以 DUP=1 重发 {} 条未确认消息:id {packet_ids:?}", packet_ids.len())),
            Event::Abandoned { at, packet_ids } => self.note(at, "abandoned", true,
                format!("The broker had no session: {} unacknowledged message(s) given up: ids {packet_ids:?}", packet_ids.len()),
                format!("服务端没有会话:放弃 {} 条未确认消息:id {packet_ids:?}", packet_ids.len())),
            Event::Subscribed { at, filter, requested, granted } => match granted {
                Some(g) => self.note(at, "suback", false,
                    format!("SUBACK {filter}: asked QoS {requested}, granted {g}"),
                    format!("SUBACK {filter}:请求 QoS {requested},授予 {g}")),
                None => self.note(at, "suback", true,
                    format!("SUBACK {filter}: refused (0x80 failure)"),
                    format!("SUBACK {filter}:订阅被拒绝(0x80 失败)")),
            },
            Event::SilentConnectionClosed { at, silent_since, taken_over: true, .. } => {
                self.note(at, "takeover", false,
                    format!("The broker closed the old silent connection when the new one took the session over, {:.1} s after the device went silent.", at.saturating_sub(silent_since) as f64 / 1000.0),
                    format!("新连接接管会话时,服务端关闭了旧的静默连接(设备静默 {:.1} 秒后)。", at.saturating_sub(silent_since) as f64 / 1000.0));
            }
            Event::SilentConnectionClosed { at, predicted_at, silent_since, .. } => {
                let diff = at as i64 - predicted_at as i64;
                self.note(at, "silent-closed", false,
                    format!("The broker closed the silent connection {:.1} s after the device went silent; predicted at 1.5 x keepalive, {:+.1} s from the prediction.", (at - silent_since) as f64 / 1000.0, diff as f64 / 1000.0),
                    format!("服务端在设备静默 {:.1} 秒后关闭了该连接;预测为 1.5 倍 keepalive,与预测相差 {:+.1} 秒。", (at - silent_since) as f64 / 1000.0, diff as f64 / 1000.0));
            }
            Event::PacketIdReused { at, packet_id } => self.note(at, "packet-id-reuse", true,
                format!("The broker sent a new message with packet id {packet_id} while that id was still unacknowledged"),
                format!("服务端在报文标识符 {packet_id} 尚未确认时又用它发送了新消息")),
            Event::ProbeSeriesStarted { at, series, topic, qos, total } => self.note(at, "probe-start", false,
                format!("Probe series {series} started: {total} probe(s) to {topic} at QoS {qos}"),
                format!("探测序列 {series} 开始:向 {topic} 以 QoS {qos} 发送 {total} 条")),
            Event::NetworkDown { at } => self.note(at, "network-down", true,
                "The browser went offline: the connection is silent from the broker's side until the network is back.".into(),
                "浏览器已离线:在网络恢复之前,从服务端看该连接处于静默状态。".into()),
            Event::NetworkUp { at } => self.note(at, "network-up", false,
                "The browser is online again: reconnecting at once.".into(),
                "浏览器已重新联网:立即重连。".into()),
            Event::ReconnectScheduled { at, attempt_at, attempt } => self.note(at, "reconnect", false,
                format!("Reconnect attempt {attempt} in {:.1} s", (attempt_at - at) as f64 / 1000.0),
                format!("{:.1} 秒后进行第 {attempt} 次重连", (attempt_at - at) as f64 / 1000.0)),
            Event::Qos2AnsweredWithPuback { at, packet_id, topic } => {
                let t = ackscope_core::session::qos2_puback_text(packet_id, &topic);
                self.note(at, "qos2-puback", false, t.en, t.zh);
            }
            Event::AckOverdue { at, packet_id } => self.note(at, "ack-overdue", true,
                format!("Outgoing message {packet_id} passed the ack timeout without an ack"),
                format!("发出的消息 {packet_id} 超过确认超时仍未收到确认")),
            Event::BrokerAckTimeout { at, packet_id } => self.note(at, "broker-ack-timeout", false,
                format!("Message {packet_id} passed the broker's ack timeout: the broker now treats it as undelivered"),
                format!("消息 {packet_id} 已超过服务端的确认超时:服务端将其视为未投递")),
            Event::ProbeSeriesStopped { at, series, sent, total, error } => {
                let t = error.text().prefixed(&format!("Probe series {series} stopped after {sent} of {total}: "), &format!("探测序列 {series} 在发送 {sent}/{total} 条后停止:"));
                self.fail(at, t.en, t.zh);
            }
            Event::ReconnectStopped { at, reason, failures } => {
                let t = reason.text().prefixed(
                    &format!("Automatic reconnect stopped after the same failure {failures} times in a row; fix the cause, then connect. Last: "),
                    &format!("同一故障连续出现 {failures} 次,已停止自动重连;请排除原因后再连接。最近一次:"),
                );
                self.fail(at, t.en, t.zh);
            }
            Event::NotSent { at, what, error } => {
                let t = error.text().prefixed(&format!("{what} was not sent: "), &format!("{what} 未发送:"));
                self.fail(at, t.en, t.zh);
            }
            Event::State { .. } | Event::Unsubscribed { .. } | Event::Delivered { .. } | Event::PingRoundTrip { .. } => {}
        }
    }

    /// Records a problem the page itself found (a refused command, a socket that won't open).
    pub fn fail(&mut self, at: Millis, en: String, zh: String) {
        let n = Notice {
            at,
            kind: "error",
            en,
            zh,
            error: true,
        };
        self.timeline.push(n.clone());
        self.error = Some(n);
    }

    fn note(&mut self, at: Millis, kind: &'static str, error: bool, en: String, zh: String) {
        self.timeline.push(Notice {
            at,
            kind,
            en,
            zh,
            error,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::session::SocketId;
    use ackscope_core::verdicts::{Certainty, Verdict};

    fn message(at: Millis, topic: &str, probe_sent_at: Option<Millis>) -> Event {
        Event::Message(IncomingMessage {
            at,
            socket: SocketId(1),
            topic: topic.into(),
            payload: b"payload".to_vec(),
            qos: 1,
            dup: false,
            retain: false,
            packet_id: Some(1),
            probe: probe_sent_at.map(|s| ("s1".to_string(), 1, s)),
            verdict: Verdict {
                kind: VerdictKind::Live,
                certainty: Certainty::Inferred,
                evidence: Evidence::NoReplaySign,
            },
            into_dead_connection: false,
        })
    }

    #[test]
    fn the_history_keeps_the_newest_and_counts_what_went() {
        let mut log = DeviceLog::with_limits(3, 2, 2);
        for i in 0..5 {
            log.apply(message(i, "t", Some(i)));
        }
        assert_eq!(log.messages.len(), 3);
        assert_eq!(log.messages.evicted(), 2);
        assert_eq!(log.messages.first().map(|m| m.at), Some(2));
        let counted: u32 = log.latency.buckets().iter().map(|(_, c)| c).sum();
        assert_eq!(counted, 3, "the histogram follows the messages held");
        for at in 0..4 {
            log.fail(at, "e".into(), "e".into());
        }
        assert_eq!(log.timeline.len(), 2);
        assert_eq!(log.timeline.evicted(), 2);
    }

    #[test]
    fn counts_since_connect_start_again_at_each_connack() {
        let mut log = DeviceLog::default();
        log.apply(message(1, "t", Some(0)));
        log.apply(Event::Connected {
            at: 10,
            session_present: true,
            clean_session: false,
            client_id: "c".into(),
        });
        log.apply(message(20, "t", Some(5)));
        log.apply(message(30, "t", Some(25)));
        let s = &log.since_connect;
        assert_eq!(s.connack, Some((10, true)));
        assert_eq!(s.live, 2);
        assert_eq!(s.max_latency_ms, Some(15));
        assert_eq!(s.series, vec!["s1".to_string()]);
    }

    #[test]
    fn a_stream_on_one_topic_shares_the_topic_text() {
        let mut log = DeviceLog::default();
        log.apply(message(1, "sensors/a", None));
        log.apply(message(2, "sensors/a", None));
        log.apply(message(3, "sensors/b", None));
        let rows: Vec<&MessageRow> = log.messages.iter().collect();
        assert!(Rc::ptr_eq(&rows[0].topic, &rows[1].topic));
        assert_eq!(&*rows[2].topic, "sensors/b");
        assert_eq!(rows[0].payload_text(), "payload");
    }
}
