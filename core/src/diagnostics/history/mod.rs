//! What the diagnostics remember of one device: a digest of its events, kept small.
//!
//! Design: everything here comes from what went over the wire (the CONNECT, SUBSCRIBE and
//! PUBLISH packets sent, CONNACK, SUBACK and messages received), never from the form. The
//! broker's view of the subscriptions is rebuilt from them: a grant opens a [`HeldSub`],
//! Session Present = 0, the end of a clean session, a refusal or an UNSUBACK closes it; an
//! unsubscribe made while offline removes the page's row only, so it closes nothing.

mod ackable;
mod probes;
mod recent;
mod records;

pub(crate) use records::{
    Abandon, DeadDelivery, EndRecord, HeldSub, MessageRecord, PacketMark, PublishRecord, Refusal,
    SeriesSent, SilentClose, SubscribeSent,
};
pub use records::{ConnectRecord, EndKind};

use ackable::Ackable;
pub(crate) use probes::{ProbesReceived, SeriesReceived};
use recent::Recent;

use crate::framing::{PacketKind, PacketSummary};
use crate::session::{CloseReason, ConnState, Direction, Event, IncomingMessage, SocketId};
use crate::time::Millis;
use crate::verdicts::Evidence;
use std::collections::{HashSet, VecDeque};

/// Older entries are dropped beyond this, so that a long session stays cheap.
const KEEP: usize = 4_096;
/// Probe series sent that are remembered.
const KEEP_SERIES: usize = 32;
/// Message identities remembered to recognise a message seen before.
const KEEP_KEYS: usize = 16_384;

/// `host:port` of a broker URL, lower case, with the scheme's default port: two URLs with
/// the same key reach the same listener (mosquitto accepts any path).
pub fn broker_key(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://").unwrap_or(("ws", url.as_str()));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = match host_port.rfind(':') {
        Some(i) => !host_port[i..].contains(']'),
        None => false,
    };
    if has_port {
        host_port.to_string()
    } else {
        let port = if matches!(scheme, "wss" | "https") {
            443
        } else {
            80
        };
        format!("{host_port}:{port}")
    }
}

/// The connection the device is on now.
#[derive(Clone, Debug)]
struct Live {
    socket: Option<SocketId>,
    connack_at: Millis,
    clean_session: bool,
    client_id: String,
}

/// The CONNECT sent on the connection being opened.
#[derive(Clone, Debug, Default)]
struct Connecting {
    socket: Option<SocketId>,
    keepalive_secs: Option<u16>,
}

/// A digest of one device's events.
#[derive(Clone, Debug, Default)]
pub struct DeviceHistory {
    pub connects: Vec<ConnectRecord>,
    pub(crate) ends: Vec<EndRecord>,
    /// (at, online) whenever that changed.
    pub(crate) online_changes: Vec<(Millis, bool)>,
    pub(crate) held: Vec<HeldSub>,
    pub(crate) subscribes: Vec<SubscribeSent>,
    pub(crate) refusals: Vec<Refusal>,
    /// (at, filter, online): unsubscribed while offline, the page's row went and the
    /// broker's subscription did not.
    pub(crate) unsubscribes: Vec<(Millis, String, bool)>,
    pub(crate) publishes: Recent<PublishRecord>,
    pub(crate) messages: Recent<MessageRecord>,
    /// Beside each of `messages`, its [`ack_key`] while an outgoing ack can still settle it
    /// (see `ackable.rs`): 4 bytes each are searched far quicker than whole records.
    ackable: Ackable,
    pub(crate) dead: Recent<DeadDelivery>,
    pub(crate) probes: ProbesReceived,
    pub(crate) series: Vec<SeriesSent>,
    pub(crate) silent_closes: Vec<SilentClose>,
    pub(crate) abandoned: Vec<Abandon>,
    pub(crate) id_reuse: Vec<(Millis, u16)>,
    pub(crate) reconnect_stopped: Option<(Millis, CloseReason, u32)>,
    pub(crate) network_down: Vec<Millis>,
    /// Broker of the connection being opened, from [`DeviceHistory::connecting_to`].
    next_broker: Option<String>,
    connecting: Connecting,
    live: Option<Live>,
    /// The silent connection, until the broker closes it: (socket, clean).
    silent: Option<(Option<SocketId>, bool)>,
    last_out: Option<PacketMark>,
    last_in: Option<PacketMark>,
    keys: HashSet<u64>,
    /// Oldest first; a deque, as the oldest goes with every new key once full.
    key_order: VecDeque<u64>,
}

fn field<'a>(s: &'a PacketSummary, name: &str) -> Option<&'a str> {
    s.fields
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// A packet id as `DeviceHistory::ackable` holds it: never 0 (0 is "nothing to settle").
fn ack_key(packet_id: Option<u16>) -> u32 {
    packet_id.map_or(0x1_0000, u32::from) + 1
}

/// FNV-1a: the same identity on every platform and run.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain([&0xffu8]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// What identifies "the same message": the probe (series, seq), else topic and payload.
pub(crate) fn message_key(m: &IncomingMessage) -> u64 {
    match &m.probe {
        Some((series, seq, _)) => fnv(&[b"probe", series.as_bytes(), &seq.to_be_bytes()]),
        None => fnv(&[m.topic.as_bytes(), &m.payload]),
    }
}

impl DeviceHistory {
    /// The driver is opening a connection to `url`: the next CONNACK is from that broker.
    pub fn connecting_to(&mut self, url: &str) {
        self.next_broker = Some(broker_key(url));
    }

    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Packet(p) => self.packet(p.at, p.direction, p.socket, &p.summary),
            Event::Connected {
                at,
                session_present,
                clean_session,
                client_id,
            } => self.connected(*at, *session_present, *clean_session, client_id),
            Event::State { at, state } => {
                let online = matches!(state, ConnState::Connected);
                if self.online_changes.last().map(|(_, o)| *o) != Some(online) {
                    self.online_changes.push((*at, online));
                }
                if *state == ConnState::Silent {
                    if let Some(live) = self.live.take() {
                        self.end(*at, EndKind::Silent, None, Some(&live));
                        self.silent = Some((live.socket, live.clean_session));
                    }
                }
            }
            Event::Closed { at, socket, reason } => self.closed(*at, *socket, reason),
            Event::SilentConnectionClosed {
                at,
                predicted_at,
                silent_since,
                taken_over,
                ..
            } => {
                self.silent_closes.push(SilentClose {
                    at: *at,
                    predicted_at: *predicted_at,
                    silent_since: *silent_since,
                    taken_over: *taken_over,
                });
                if let Some((_, true)) = self.silent.take() {
                    // A clean session ends when the broker lets the connection go.
                    self.close_held(*at);
                }
            }
            Event::Subscribed {
                at,
                filter,
                requested,
                granted,
            } => self.subscribed(*at, filter, *requested, *granted),
            Event::Unsubscribed { at, filter } => {
                let online = self.live.is_some();
                if online {
                    for h in self.held.iter_mut().filter(|h| h.to.is_none()) {
                        if &h.filter == filter {
                            h.to = Some(*at);
                        }
                    }
                }
                self.unsubscribes.push((*at, filter.clone(), online));
            }
            Event::Message(m) => self.message(m),
            Event::Abandoned { at, packet_ids } => {
                let publishes = packet_ids
                    .iter()
                    .map(|id| {
                        let topic = self
                            .publishes
                            .iter()
                            .rev()
                            .find(|p| p.packet_id == Some(*id))
                            .map(|p| p.topic.clone());
                        (*id, topic)
                    })
                    .collect();
                self.abandoned.push(Abandon { at: *at, publishes });
            }
            Event::PacketIdReused { at, packet_id } => self.id_reuse.push((*at, *packet_id)),
            Event::ReconnectStopped {
                at,
                reason,
                failures,
            } => self.reconnect_stopped = Some((*at, reason.clone(), *failures)),
            Event::ProbeSeriesStarted {
                at,
                series,
                topic,
                qos,
                total,
            } => {
                if self.series.len() >= KEEP_SERIES {
                    self.series.remove(0);
                }
                self.series.push(SeriesSent {
                    series: series.clone(),
                    topic: topic.clone(),
                    qos: *qos,
                    total: *total,
                    started_at: *at,
                    stopped: None,
                    published: 0,
                    last_publish_at: *at,
                });
            }
            Event::ProbeSeriesStopped {
                at, series, sent, ..
            } => {
                if let Some(s) = self.series.iter_mut().rev().find(|s| &s.series == series) {
                    s.stopped = Some((*at, *sent));
                }
            }
            Event::NetworkDown { at } => self.network_down.push(*at),
            _ => {}
        }
        self.trim();
    }

    fn packet(&mut self, at: Millis, dir: Direction, socket: SocketId, s: &PacketSummary) {
        let mark = PacketMark {
            at,
            kind: s.kind,
            topic: field(s, "topic").map(str::to_string),
            packet_id: s.packet_id,
            dup: field(s, "dup") == Some("1"),
        };
        if dir == Direction::In {
            if matches!(s.kind, PacketKind::Puback | PacketKind::Pubrec) {
                if let Some(p) = self
                    .publishes
                    .iter_mut()
                    .rev()
                    .take(1_000)
                    .find(|p| p.packet_id == s.packet_id && p.acked_at.is_none())
                {
                    p.acked_at = Some(at);
                }
            }
            self.last_in = Some(mark);
            return;
        }
        match s.kind {
            PacketKind::Connect => {
                self.connecting = Connecting {
                    socket: Some(socket),
                    keepalive_secs: field(s, "keepAlive").and_then(|k| k.parse().ok()),
                };
                self.last_in = None;
            }
            PacketKind::Subscribe => {
                for (_, v) in s.fields.iter().filter(|(k, _)| *k == "filter") {
                    // "filter (QoS n)"
                    let (filter, qos) = v
                        .rsplit_once(" (QoS ")
                        .map(|(f, q)| (f, q.trim_end_matches(')').parse().unwrap_or(0)))
                        .unwrap_or((v.as_str(), 0));
                    self.subscribes.push(SubscribeSent {
                        at,
                        filter: filter.to_string(),
                        qos,
                    });
                }
            }
            PacketKind::Publish if !mark.dup => {
                let qos = field(s, "qos").and_then(|q| q.parse().ok()).unwrap_or(0);
                let topic = mark.topic.clone().unwrap_or_default();
                if let Some(series) = self
                    .series
                    .last_mut()
                    .filter(|x| x.topic == topic && x.qos == qos && x.stopped.is_none())
                {
                    if series.published < series.total {
                        series.published += 1;
                        series.last_publish_at = at;
                    }
                }
                self.publishes.push(PublishRecord {
                    at,
                    topic,
                    qos,
                    retain: field(s, "retain") == Some("1"),
                    packet_id: s.packet_id,
                    clean_session: self.live.as_ref().is_none_or(|l| l.clean_session),
                    acked_at: None,
                });
            }
            PacketKind::Puback | PacketKind::Pubrec => {
                // The newest of the last 1,000 messages with this id, unacknowledged, not dead.
                if let Some(i) = self.ackable.settle(ack_key(s.packet_id)) {
                    if let Some(m) = self.messages.get_mut(i) {
                        m.acked_at = Some(at);
                    }
                }
            }
            _ => {}
        }
        self.last_out = Some(mark);
    }

    fn connected(&mut self, at: Millis, session_present: bool, clean: bool, client_id: &str) {
        let connecting = std::mem::take(&mut self.connecting);
        self.connects.push(ConnectRecord {
            at,
            client_id: client_id.to_string(),
            clean_session: clean,
            session_present,
            broker: self.next_broker.clone(),
            keepalive_secs: connecting.keepalive_secs,
            socket: connecting.socket,
        });
        self.live = Some(Live {
            socket: connecting.socket,
            connack_at: at,
            clean_session: clean,
            client_id: client_id.to_string(),
        });
        if !session_present {
            // The broker holds nothing for this ClientId now: no subscription, and nothing
            // pushed into a dead connection can come back.
            self.close_held(at);
            for d in self.dead.iter_mut() {
                if d.returned_at.is_none() && d.wiped_at.is_none() {
                    d.wiped_at = Some(at);
                }
            }
        }
    }

    fn closed(&mut self, at: Millis, socket: SocketId, reason: &CloseReason) {
        if self
            .silent
            .as_ref()
            .is_some_and(|(s, _)| *s == Some(socket))
        {
            // The silent connection closed (dropped, or a protocol failure on it): its end
            // was recorded when it went silent.
            if let Some((_, true)) = self.silent.take() {
                self.close_held(at);
            }
            return;
        }
        let on_live = self
            .live
            .as_ref()
            .map(|l| l.socket.is_none_or(|s| s == socket));
        let live = match on_live {
            Some(true) => self.live.take(),
            Some(false) => return,
            None => None,
        };
        let kind = match reason {
            CloseReason::UserDisconnect => EndKind::Disconnect,
            CloseReason::UserDrop => EndKind::Drop,
            CloseReason::Refused(_) => EndKind::Refused,
            _ => EndKind::Lost,
        };
        if live.as_ref().is_some_and(|l| l.clean_session) {
            self.close_held(at);
        }
        self.end(at, kind, Some(reason.clone()), live.as_ref());
    }

    fn end(&mut self, at: Millis, kind: EndKind, reason: Option<CloseReason>, live: Option<&Live>) {
        self.ends.push(EndRecord {
            at,
            kind,
            reason,
            connack_at: live.map(|l| l.connack_at),
            client_id: live.map(|l| l.client_id.clone()),
            last_out: self.last_out.take(),
            last_in: self.last_in.take(),
        });
    }

    fn close_held(&mut self, at: Millis) {
        for h in self.held.iter_mut().filter(|h| h.to.is_none()) {
            h.to = Some(at);
        }
    }

    fn subscribed(&mut self, at: Millis, filter: &str, requested: u8, granted: Option<u8>) {
        let open = self
            .held
            .iter_mut()
            .find(|h| h.to.is_none() && h.filter == filter);
        match (open, granted) {
            (Some(h), Some(q)) if h.granted == q => h.requested = requested,
            (open, Some(q)) => {
                if let Some(h) = open {
                    h.to = Some(at);
                }
                self.held.push(HeldSub {
                    filter: filter.to_string(),
                    requested,
                    granted: q,
                    from: at,
                    to: None,
                    connect: self.connects.len().saturating_sub(1),
                });
            }
            (open, None) => {
                if let Some(h) = open {
                    h.to = Some(at);
                }
                self.refusals.push(Refusal {
                    at,
                    filter: filter.to_string(),
                    requested,
                });
            }
        }
    }

    fn message(&mut self, m: &IncomingMessage) {
        let key = message_key(m);
        let seen_before = self.keys.contains(&key);
        let back_from_dead = match &m.verdict.evidence {
            Evidence::PushedIntoDeadConnection { first_at, delay_ms } => {
                Some((*first_at, *delay_ms))
            }
            _ => None,
        };
        if m.into_dead_connection {
            if m.qos > 0 {
                self.dead.push(DeadDelivery {
                    at: m.at,
                    key,
                    topic: m.topic.clone(),
                    returned_at: None,
                    wiped_at: None,
                });
            }
        } else {
            if let Some((first_at, _)) = back_from_dead {
                let open = |d: &&mut DeadDelivery| {
                    d.key == key && d.returned_at.is_none() && d.wiped_at.is_none()
                };
                let i = self
                    .dead
                    .iter_mut()
                    .position(|d| open(&d) && d.at == first_at)
                    .or_else(|| self.dead.iter_mut().position(|d| open(&d)));
                if let Some(i) = i {
                    self.dead[i].returned_at = Some(m.at);
                }
            }
            if let Some((series, seq, _)) = &m.probe {
                self.probes.record(series, *seq, &m.topic, m.qos, m.at);
            }
            if self.keys.insert(key) {
                self.key_order.push_back(key);
                if self.key_order.len() > KEEP_KEYS {
                    if let Some(old) = self.key_order.pop_front() {
                        self.keys.remove(&old);
                    }
                }
            }
        }
        self.ackable.push(if m.into_dead_connection {
            0
        } else {
            ack_key(m.packet_id)
        });
        self.messages.push(MessageRecord {
            at: m.at,
            topic: m.topic.clone(),
            qos: m.qos,
            dup: m.dup,
            retain: m.retain,
            kind: m.verdict.kind,
            returned: m.verdict.returned_with_session(),
            dead: m.into_dead_connection,
            back_from_dead,
            retained_copy: m.verdict.evidence == Evidence::RetainedCopy,
            probe: m.probe.clone(),
            key,
            seen_before,
            packet_id: m.packet_id,
            acked_at: None,
        });
    }

    fn trim(&mut self) {
        trim(&mut self.connects);
        trim(&mut self.ends);
        trim(&mut self.online_changes);
        trim(&mut self.subscribes);
        trim(&mut self.refusals);
        trim(&mut self.unsubscribes);
        // publishes, messages and dead trim themselves as they grow (`Recent`).
        trim(&mut self.silent_closes);
        trim(&mut self.abandoned);
        trim(&mut self.id_reuse);
        trim(&mut self.network_down);
        // Closed subscriptions go first: the ones the broker holds now must stay.
        if self.held.len() > KEEP {
            let mut excess = self.held.len() - KEEP;
            self.held.retain(|h| {
                let drop = excess > 0 && h.to.is_some();
                excess -= usize::from(drop);
                !drop
            });
        }
    }

    // ---- questions the rules ask ------------------------------------------------------

    /// Whether the device was online at `at`.
    pub fn online_at(&self, at: Millis) -> bool {
        let i = self.online_changes.partition_point(|(t, _)| *t <= at);
        i > 0 && self.online_changes[i - 1].1
    }

    pub fn online_now(&self) -> bool {
        self.online_changes.last().is_some_and(|(_, o)| *o)
    }

    /// The connect in force at `at` (the last CONNACK at or before it), by index.
    pub(crate) fn connect_at(&self, at: Millis) -> Option<usize> {
        let i = self.connects.partition_point(|c| c.at <= at);
        i.checked_sub(1)
    }

    /// Subscriptions the broker holds now.
    pub(crate) fn held_now(&self) -> impl Iterator<Item = &HeldSub> {
        self.held.iter().filter(|h| h.to.is_none())
    }

    /// Subscriptions the broker held at `at`.
    pub(crate) fn held_at(&self, at: Millis) -> impl Iterator<Item = &HeldSub> {
        self.held.iter().filter(move |h| h.held_at(at))
    }

    /// SUBSCRIBE requests waiting for their SUBACK on the live connection.
    pub(crate) fn pending_filters(&self) -> Vec<&str> {
        let Some(live) = &self.live else {
            return Vec::new();
        };
        self.subscribes
            .iter()
            .filter(|s| s.at >= live.connack_at)
            .filter(|s| {
                !self
                    .held
                    .iter()
                    .any(|h| h.filter == s.filter && h.from >= s.at)
                    && !self
                        .refusals
                        .iter()
                        .any(|r| r.filter == s.filter && r.at >= s.at)
            })
            .map(|s| s.filter.as_str())
            .collect()
    }

    /// The end of the connection that started with connect `i`, if it ended.
    pub(crate) fn end_of(&self, i: usize) -> Option<&EndRecord> {
        let c = self.connects.get(i)?;
        let next = self.connects.get(i + 1).map(|n| n.at);
        self.ends
            .iter()
            .find(|e| e.connack_at == Some(c.at) && next.is_none_or(|n| e.at <= n))
    }
}

fn trim<T>(list: &mut Vec<T>) {
    if list.len() > KEEP {
        list.drain(..list.len() - KEEP);
    }
}

#[cfg(test)]
mod tests {
    use super::{broker_key, DeviceHistory, KEEP};
    use crate::framing::{PacketKind, PacketSummary};
    use crate::session::{Direction, Event, IncomingMessage, PacketRecord, SocketId};
    use crate::verdicts::{Certainty, Evidence, Verdict, VerdictKind};

    /// The outgoing PUBACK's search through `ackable` settles the same message as the
    /// search through the records it replaced: the newest of the last 1,000 with the id,
    /// unacknowledged and not dead. Ids repeat, acks come late, early, twice or never.
    #[test]
    fn an_outgoing_ack_settles_the_message_the_record_search_found() {
        let mut h = DeviceHistory::default();
        // (packet id, dead, acked_at) per message, trimmed as the history trims.
        let mut model: Vec<(Option<u16>, bool, Option<u64>)> = Vec::new();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for at in 0..(KEEP as u64 * 3) {
            let id = match next(10) {
                0 => None,
                _ => Some(next(1_500) as u16),
            };
            if next(3) > 0 {
                let dead = next(8) == 0;
                h.observe(&Event::Message(IncomingMessage {
                    at,
                    socket: SocketId(0),
                    topic: "t".into(),
                    payload: vec![],
                    qos: 1,
                    dup: false,
                    retain: false,
                    packet_id: id,
                    probe: None,
                    verdict: Verdict {
                        kind: VerdictKind::Live,
                        certainty: Certainty::Inferred,
                        evidence: Evidence::NoReplaySign,
                    },
                    into_dead_connection: dead,
                }));
                model.push((id, dead, None));
                if model.len() > KEEP {
                    model.remove(0);
                }
            } else {
                let kind = if next(2) == 0 {
                    PacketKind::Puback
                } else {
                    PacketKind::Pubrec
                };
                h.observe(&Event::Packet(PacketRecord {
                    at,
                    direction: Direction::Out,
                    socket: SocketId(0),
                    summary: PacketSummary {
                        kind,
                        packet_id: id,
                        fields: vec![],
                    },
                    raw: vec![],
                }));
                if let Some(m) = model
                    .iter_mut()
                    .rev()
                    .take(1_000)
                    .find(|m| m.0 == id && m.2.is_none() && !m.1)
                {
                    m.2 = Some(at);
                }
            }
            let seen: Vec<_> = h
                .messages
                .iter()
                .map(|m| (m.packet_id, m.dead, m.acked_at))
                .collect();
            assert_eq!(seen, model, "at {at}");
        }
    }

    #[test]
    fn broker_keys_compare_listeners_not_spellings() {
        assert_eq!(broker_key("ws://127.0.0.1:9001/mqtt"), "127.0.0.1:9001");
        assert_eq!(
            broker_key(" WS://Broker.example.com/mqtt "),
            "broker.example.com:80"
        );
        assert_eq!(
            broker_key("wss://post-cn-1.mqtt.aliyuncs.com/mqtt"),
            "post-cn-1.mqtt.aliyuncs.com:443"
        );
        assert_eq!(broker_key("ws://u:p@[::1]:9001/"), "[::1]:9001");
        assert_eq!(broker_key("ws://[::1]/"), "[::1]:80");
        assert_ne!(broker_key("ws://a:9001"), broker_key("ws://b:9001"));
    }
}
