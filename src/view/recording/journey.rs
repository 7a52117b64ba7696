//! A message's journey: the steps of one message (or a probe series) across the devices and
//! the broker, in time order, read from the devices' events.
//!
//! The sender's PUBLISH and its PUBACK, the receiver going away, the broker holding the
//! message until the receiver's CONNACK (with Session Present), the delivery and its PUBACK,
//! and any redelivery or duplicate. The broker is never observed directly: its steps (the
//! hold) are what the two sides' events imply, and say so.

use ackscope_core::diagnostics::Bilingual;
use ackscope_core::framing::PacketKind;
use ackscope_core::probe::Probe;
use ackscope_core::session::{CloseReason, ConnState, Direction, Event, IncomingMessage};
use ackscope_core::time::Millis;

/// A duration in human units, in both languages (`850 ms` / `850 毫秒`).
fn took(ms: Millis) -> (String, String) {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    (
        crate::view::clock::duration(ms),
        crate::view::clock::duration_zh(ms),
    )
}

/// Steps drawn at most; the rest are counted.
pub const MAX_STEPS: usize = 120;
/// Candidates offered at most.
const MAX_CANDIDATES: usize = 200;

/// A lane of the chart: a device (its index on the page) or the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    Device(usize),
    Broker,
}

impl Lane {
    /// `data-lane`: the device index, or `broker`.
    pub fn attr(self) -> String {
        match self {
            Lane::Device(i) => i.to_string(),
            Lane::Broker => "broker".into(),
        }
    }
}

/// What to follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every probe of a series.
    Series(String),
    /// One probe.
    Probe(String, u32),
    /// A message without a probe header: its topic and payload.
    Message { topic: String, payload: Vec<u8> },
}

impl Target {
    fn matches_probe(&self, series: &str, seq: u32) -> bool {
        match self {
            Target::Series(s) => s == series,
            Target::Probe(s, n) => s == series && *n == seq,
            Target::Message { .. } => false,
        }
    }

    fn matches_publish(&self, topic: &str, payload: &[u8]) -> bool {
        match self {
            Target::Message {
                topic: t,
                payload: p,
            } => t == topic && p.as_slice() == payload,
            _ => Probe::parse(payload).is_some_and(|p| self.matches_probe(&p.series, p.seq)),
        }
    }

    fn matches_message(&self, m: &IncomingMessage) -> bool {
        match (self, &m.probe) {
            (Target::Message { .. }, _) => self.matches_publish(&m.topic, &m.payload),
            (_, Some((series, seq, _))) => self.matches_probe(series, *seq),
            _ => false,
        }
    }
}

/// One step of a journey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at: Millis,
    pub lane: Lane,
    /// `data-kind`: a packet type (`PUBLISH`, `PUBACK`, `CONNACK`, `DISCONNECT`, ...),
    /// `held` (the broker keeps the message) or `away` (the device went away without a packet).
    pub kind: &'static str,
    /// From the device to the broker (packets a device sends).
    pub outgoing: bool,
    pub packet_id: Option<u16>,
    /// The end of a `held` interval.
    pub until: Option<Millis>,
    pub probe_seq: Option<u32>,
    pub text: Bilingual,
    /// Time since the previous step.
    pub since_prev: Option<Millis>,
    /// Order among steps at the same moment.
    rank: u8,
}

/// The chart's content.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Journey {
    pub lanes: Vec<Lane>,
    pub steps: Vec<Step>,
    /// Steps not drawn (beyond [`MAX_STEPS`]).
    pub hidden: usize,
}

/// Something the user can follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// A stable value for a select.
    pub value: String,
    pub target: Target,
    pub label: String,
}

/// What an encoded PUBLISH carries.
#[derive(Debug, PartialEq, Eq)]
pub struct PublishParts<'a> {
    pub topic: String,
    pub qos: u8,
    pub dup: bool,
    pub packet_id: Option<u16>,
    pub payload: &'a [u8],
}

/// Reads an encoded PUBLISH (the bytes of a packet record).
pub fn publish_parts(raw: &[u8]) -> Option<PublishParts<'_>> {
    let first = *raw.first()?;
    if first >> 4 != 3 {
        return None;
    }
    let (dup, qos) = (first & 0x08 != 0, (first >> 1) & 0x03);
    let (mut len, mut shift, mut i) = (0usize, 0u32, 1usize);
    loop {
        let b = *raw.get(i)?;
        len |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return None;
        }
    }
    let body = raw.get(i..i.checked_add(len)?)?;
    let tlen = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let topic = std::str::from_utf8(body.get(2..2 + tlen)?)
        .ok()?
        .to_string();
    let mut rest = 2 + tlen;
    let packet_id = if qos > 0 {
        let id = u16::from_be_bytes([*body.get(rest)?, *body.get(rest + 1)?]);
        rest += 2;
        Some(id)
    } else {
        None
    };
    Some(PublishParts {
        topic,
        qos,
        dup,
        packet_id,
        payload: body.get(rest..)?,
    })
}

/// A probe series as the page knows it: its id and the highest sequence number seen or sent.
pub struct SeriesSeen {
    pub series: String,
    pub highest: u32,
}

/// What the user can follow: each probe series and its probes, then recent plain messages
/// (device index, topic, payload), latest last.
pub fn offer(series: &[SeriesSeen], messages: &[(usize, String, Vec<u8>)]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for s in series {
        if seen.contains(&s.series.as_str()) {
            continue;
        }
        seen.push(&s.series);
        out.push(Candidate {
            value: format!("series:{}", s.series),
            target: Target::Series(s.series.clone()),
            label: format!("probe series {}", s.series),
        });
        let highest = series
            .iter()
            .filter(|x| x.series == s.series)
            .map(|x| x.highest)
            .max()
            .unwrap_or(0);
        for n in 1..=highest.min(MAX_CANDIDATES as u32) {
            out.push(Candidate {
                value: format!("probe:{}:{n}", s.series),
                target: Target::Probe(s.series.clone(), n),
                label: format!("probe {} #{n}", s.series),
            });
        }
    }
    let mut plain: Vec<&(usize, String, Vec<u8>)> = Vec::new();
    for m in messages.iter().rev() {
        if plain.len() >= 50 {
            break;
        }
        if !plain.iter().any(|p| p.1 == m.1 && p.2 == m.2) {
            plain.push(m);
        }
    }
    for (index, topic, payload) in plain.into_iter().rev() {
        let text = String::from_utf8_lossy(payload);
        let short: String = text.chars().take(32).collect();
        out.push(Candidate {
            // Unique among the offers (they differ in topic or payload), and the same on
            // every render, so that a pick survives new messages.
            value: format!("msg:{index}:{topic}:{:016x}", fnv1a(payload)),
            label: format!("device {} · {topic} · {short}", index + 1),
            target: Target::Message {
                topic: topic.clone(),
                payload: payload.clone(),
            },
        });
    }
    out.truncate(MAX_CANDIDATES * 2);
    out
}

/// FNV-1a, 64 bits: a short, stable name for a payload.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn away_text(reason: Option<&CloseReason>) -> (&'static str, Bilingual) {
    match reason {
        Some(CloseReason::UserDisconnect) => (
            "DISCONNECT",
            Bilingual::new(
                "disconnected (DISCONNECT sent)",
                "断开连接(已发送 DISCONNECT)",
            ),
        ),
        Some(CloseReason::UserDrop) => (
            "away",
            Bilingual::new(
                "dropped the socket (no DISCONNECT)",
                "直接关闭连接(未发送 DISCONNECT)",
            ),
        ),
        Some(_) => ("away", Bilingual::new("connection lost", "连接断开")),
        None => (
            "away",
            Bilingual::new(
                "went silent: the socket stays open, nothing is sent",
                "进入静默:连接保持打开,不再发送任何数据",
            ),
        ),
    }
}

fn step(
    at: Millis,
    lane: Lane,
    kind: &'static str,
    outgoing: bool,
    rank: u8,
    text: Bilingual,
) -> Step {
    Step {
        at,
        lane,
        kind,
        outgoing,
        packet_id: None,
        until: None,
        probe_seq: None,
        text,
        since_prev: None,
        rank,
    }
}

/// The journey of `target` through the devices' events (device index = position).
pub fn build(devices: &[Vec<Event>], target: &Target) -> Option<Journey> {
    let mut steps: Vec<Step> = Vec::new();
    // When each matching message was published (by any device), for the hold.
    let mut published: Vec<(Millis, Option<u32>, String, Vec<u8>)> = Vec::new();
    for (index, events) in devices.iter().enumerate() {
        let lane = Lane::Device(index);
        // Outgoing packet ids awaiting the broker's ack: (id, qos, published at).
        let mut awaiting: Vec<(u16, u8, Millis)> = Vec::new();
        for e in events {
            let Event::Packet(p) = e else { continue };
            match (p.direction, p.summary.kind) {
                (Direction::Out, PacketKind::Publish) => {
                    let Some(PublishParts {
                        topic,
                        qos,
                        dup,
                        packet_id: id,
                        payload,
                    }) = publish_parts(&p.raw)
                    else {
                        continue;
                    };
                    if !target.matches_publish(&topic, payload) {
                        continue;
                    }
                    let seq = Probe::parse(payload).map(|x| x.seq);
                    let mut s = step(
                        p.at,
                        lane,
                        "PUBLISH",
                        true,
                        0,
                        if dup {
                            Bilingual::new(
                                format!("resent with DUP=1, QoS {qos}"),
                                format!("以 DUP=1 重发,QoS {qos}"),
                            )
                        } else {
                            Bilingual::new(
                                format!("published at QoS {qos} to {topic}"),
                                format!("以 QoS {qos} 发布到 {topic}"),
                            )
                        },
                    );
                    s.packet_id = id;
                    s.probe_seq = seq;
                    steps.push(s);
                    if !dup {
                        published.push((p.at, seq, topic, payload.to_vec()));
                    }
                    if let Some(id) = id {
                        awaiting.retain(|(x, _, _)| *x != id);
                        awaiting.push((id, qos, p.at));
                    }
                }
                (
                    Direction::In,
                    kind @ (PacketKind::Puback | PacketKind::Pubrec | PacketKind::Pubcomp),
                ) => {
                    let Some(id) = p.summary.packet_id else {
                        continue;
                    };
                    let Some(pos) = awaiting.iter().position(|(x, _, _)| *x == id) else {
                        continue;
                    };
                    let (_, qos, sent) = awaiting[pos];
                    let done = kind == PacketKind::Puback || kind == PacketKind::Pubcomp;
                    if done || qos != 2 {
                        awaiting.remove(pos);
                    }
                    let (after, after_zh) = took(p.at.saturating_sub(sent));
                    let mut s = step(
                        p.at,
                        lane,
                        kind.as_str(),
                        false,
                        2,
                        Bilingual::new(
                            format!(
                                "the broker took it: {} {after} after the PUBLISH",
                                kind.as_str()
                            ),
                            format!(
                                "服务端已接收:PUBLISH 之后 {after_zh} 收到 {}",
                                kind.as_str()
                            ),
                        ),
                    );
                    s.packet_id = Some(id);
                    steps.push(s);
                }
                _ => {}
            }
        }
    }
    for (index, events) in devices.iter().enumerate() {
        let lane = Lane::Device(index);
        let mut connack: Option<(Millis, bool)> = None;
        let mut online = false;
        // The last time this device went away: (at, why); `None` reason = went silent.
        let mut away: Option<(Millis, Option<CloseReason>)> = None;
        let mut shown_connack: Option<Millis> = None;
        // Deliveries to acknowledge (at, packet id), and the acks this device sent (at, id,
        // kind). Design: the session sends the ack before it reports the message, so acks
        // are matched after the walk, by id and time.
        let mut acks_due: Vec<(Millis, u16)> = Vec::new();
        let mut acks_sent: Vec<(Millis, u16, PacketKind)> = Vec::new();
        for e in events {
            match e {
                Event::Connected {
                    at,
                    session_present,
                    ..
                } => {
                    connack = Some((*at, *session_present));
                    online = true;
                }
                Event::State {
                    at,
                    state: ConnState::Silent,
                } => {
                    if online {
                        away = Some((*at, None));
                    }
                    online = false;
                }
                Event::Closed { at, reason, .. } => {
                    if online {
                        away = Some((*at, Some(reason.clone())));
                    }
                    online = false;
                }
                Event::Message(m) if target.matches_message(m) => {
                    let sent_at = match (&m.probe, target) {
                        (Some((_, _, sent)), _) => Some(*sent),
                        (None, _) => published
                            .iter()
                            .filter(|(at, _, t, p)| *at <= m.at && *t == m.topic && *p == m.payload)
                            .map(|(at, ..)| *at)
                            .next_back(),
                    };
                    if let (Some((c_at, sp)), Some(sent)) = (connack, sent_at) {
                        if sent < c_at && !m.into_dead_connection {
                            let away_at = away.as_ref().map(|(a, _)| *a).filter(|a| *a < c_at);
                            if shown_connack != Some(c_at) {
                                shown_connack = Some(c_at);
                                if let Some((a, reason)) = away.as_ref().filter(|(a, _)| *a < c_at)
                                {
                                    let (kind, text) = away_text(reason.as_ref());
                                    steps.push(step(*a, lane, kind, kind == "DISCONNECT", 0, text));
                                }
                                let start = away_at.map_or(sent, |a| a.max(sent));
                                let mut held = step(
                                    start,
                                    Lane::Broker,
                                    "held",
                                    false,
                                    1,
                                    Bilingual::default(),
                                );
                                held.until = Some(c_at);
                                steps.push(held);
                                steps.push(step(
                                    c_at,
                                    lane,
                                    "CONNACK",
                                    false,
                                    3,
                                    Bilingual::new(
                                        format!("CONNACK, Session Present = {}", u8::from(sp)),
                                        format!("CONNACK,Session Present = {}", u8::from(sp)),
                                    ),
                                ));
                            } else if let Some(held) = steps
                                .iter_mut()
                                .rev()
                                .find(|s| s.kind == "held" && s.until == Some(c_at))
                            {
                                held.at = held.at.min(away_at.map_or(sent, |a| a.max(sent)));
                            }
                        }
                    }
                    let mut text = format!("delivered: {}", m.verdict.kind.as_str());
                    let mut zh = format!(
                        "投递:{}",
                        crate::i18n::label(crate::i18n::Lang::ZhCn, m.verdict.kind.as_str())
                    );
                    if m.dup {
                        text.push_str(", DUP=1");
                        zh.push_str(",DUP=1");
                    }
                    if m.into_dead_connection {
                        text.push_str(", into the dead (silent) connection: never acknowledged");
                        zh.push_str(",推入已失效(静默)的连接:不会被确认");
                    }
                    if let Some(sent) = sent_at {
                        let (d, d_zh) = took(m.at.saturating_sub(sent));
                        text.push_str(&format!(", {d} after it was published"));
                        zh.push_str(&format!(",发布后 {d_zh}"));
                    }
                    let mut s = step(m.at, lane, "PUBLISH", false, 4, Bilingual::new(text, zh));
                    s.packet_id = m.packet_id;
                    s.probe_seq = m.probe.as_ref().map(|p| p.1);
                    steps.push(s);
                    if let (Some(id), false) = (m.packet_id, m.into_dead_connection) {
                        acks_due.push((m.at, id));
                    }
                }
                Event::Packet(p)
                    if p.direction == Direction::Out
                        && matches!(p.summary.kind, PacketKind::Puback | PacketKind::Pubrec) =>
                {
                    if let Some(id) = p.summary.packet_id {
                        acks_sent.push((p.at, id, p.summary.kind));
                    }
                }
                _ => {}
            }
        }
        for (at, id) in acks_due {
            let Some(pos) = acks_sent.iter().position(|(t, x, _)| *x == id && *t >= at) else {
                continue;
            };
            let (t, _, kind) = acks_sent.remove(pos);
            let mut s = step(
                t,
                lane,
                kind.as_str(),
                true,
                5,
                Bilingual::new(
                    format!("acknowledged ({})", kind.as_str()),
                    format!("已确认({})", kind.as_str()),
                ),
            );
            s.packet_id = Some(id);
            steps.push(s);
        }
    }
    if steps.is_empty() {
        return None;
    }
    for s in steps.iter_mut().filter(|s| s.kind == "held") {
        let (d, d_zh) = took(s.until.unwrap_or(s.at).saturating_sub(s.at));
        s.text = Bilingual::new(
            format!("the broker holds it for the absent session: {d}, until the CONNACK (implied by both sides' packets)"),
            format!("服务端为离线会话保存该消息:{d_zh},直到 CONNACK(由双方报文推断)"),
        );
    }
    steps.sort_by_key(|s| (s.at, s.rank));
    let hidden = steps.len().saturating_sub(MAX_STEPS);
    steps.truncate(MAX_STEPS);
    let mut prev: Option<Millis> = None;
    for s in &mut steps {
        s.since_prev = prev.map(|p| s.at.saturating_sub(p));
        prev = Some(s.at);
    }
    // Senders left of the broker, receivers right, each in page order.
    let mut senders: Vec<usize> = Vec::new();
    let mut receivers: Vec<usize> = Vec::new();
    for s in &steps {
        if let Lane::Device(i) = s.lane {
            let sender = s.kind == "PUBLISH" && s.outgoing;
            if sender && !senders.contains(&i) {
                senders.push(i);
            }
        }
    }
    for s in &steps {
        if let Lane::Device(i) = s.lane {
            if !senders.contains(&i) && !receivers.contains(&i) {
                receivers.push(i);
            }
        }
    }
    senders.sort_unstable();
    receivers.sort_unstable();
    let mut lanes: Vec<Lane> = senders.into_iter().map(Lane::Device).collect();
    lanes.push(Lane::Broker);
    lanes.extend(receivers.into_iter().map(Lane::Device));
    Some(Journey {
        lanes,
        steps,
        hidden,
    })
}
