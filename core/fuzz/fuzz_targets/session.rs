//! Session fuzz target: a session connected to a fake broker, then broker bytes (raw or
//! well-formed), user commands, socket events and clock jumps, all chosen by the input.
//!
//! Input layout: two config bytes, then operations (one opcode byte and its operands). The
//! clock is the page's: Unix-epoch milliseconds that only move forward.
//!
//! Besides "never panics", it checks what a driver relies on:
//! - every `Send` holds whole, valid MQTT packets;
//! - nothing is sent on a socket the session closed or was told is closed, or never opened;
//! - a new QoS>0 PUBLISH never reuses a packet id still in flight;
//! - after `handle_timeout(now)` the next timeout is in the future (no busy loop).
//!
//! It also feeds every event to `DeviceHistory` and runs the page's views (ack timers,
//! subscriptions, broker clock, probe summaries) and `diagnose`.
#![no_main]

use ackscope_core::auth::AuthInput;
use ackscope_core::diagnostics::{
    diagnose, DeviceFacts, DeviceHistory, DeviceSettings, SubscriptionFact,
};
use ackscope_core::framing::{dup_flag, encode, Framer};
use ackscope_core::probe::Probe;
use ackscope_core::profile::BrokerProfile;
use ackscope_core::session::{
    Action, Event, ProtocolVersion, ReconnectPolicy, Session, SessionConfig, SocketId,
};
use libfuzzer_sys::fuzz_target;
use mqtt::control::ConnectReturnCode;
use mqtt::packet::suback::SubscribeReturnCode;
use mqtt::packet::*;
use mqtt::{Encodable, QualityOfService, TopicFilter, TopicName};
use std::collections::{BTreeSet, VecDeque};

const START: u64 = 1_700_000_000_000;
const TOPICS: [&str; 6] = ["a", "a/b", "dev/1/up", "$SYS/x", "t", "x/y/z"];
const FILTERS: [&str; 6] = ["a", "a/#", "+/b", "#", "dev/+/up", "$SYS/#"];

/// Reads operands from the input; past the end everything reads as zero.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn done(&self) -> bool {
        self.data.is_empty()
    }
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    fn bytes(&mut self, max: usize) -> &[u8] {
        let n = (usize::from(self.u8()) % (max + 1)).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
    fn text(&mut self, max: usize) -> String {
        String::from_utf8_lossy(self.bytes(max)).into_owned()
    }
}

fn config(a: u8, b: u8) -> SessionConfig {
    let pick = |v: &[u64], bits: u8| v[usize::from(bits) % v.len()];
    SessionConfig {
        client_id: "fuzz-dev".into(),
        manual_ack: a & 1 != 0,
        clean_session: a & 2 != 0,
        resubscribe_on_connect: a & 4 != 0,
        protocol: if a & 8 != 0 {
            ProtocolVersion::V31
        } else {
            ProtocolVersion::V311
        },
        reconnect: ReconnectPolicy {
            enabled: a & 16 != 0,
            ..Default::default()
        },
        profile: if a & 64 != 0 {
            BrokerProfile::aliyun()
        } else {
            BrokerProfile::generic()
        },
        max_packet_bytes: if a & 128 != 0 { 64 } else { 16 * 1024 * 1024 },
        keepalive_secs: pick(&[0, 1, 5, 60], b & 3) as u16,
        max_inflight: pick(&[0, 1, 2, 20], (b >> 2) & 3) as usize,
        ack_timeout_ms: pick(&[1, 100, 1_000, 10_000], (b >> 4) & 3),
        ping_timeout_ms: pick(&[1, 100, 1_000, 10_000], b >> 6),
        connack_timeout_ms: 10_000,
        ..Default::default()
    }
}

struct Harness {
    session: Session,
    now: u64,
    /// Every socket the session asked to open, oldest first.
    opened: Vec<SocketId>,
    /// Sockets closed by the session or reported closed by us.
    closed: BTreeSet<SocketId>,
    /// Outgoing QoS>0 PUBLISH ids in flight, from the packets and events.
    inflight: BTreeSet<u16>,
    /// Packet ids the client used lately, for the broker to answer with.
    recent_ids: VecDeque<u16>,
    /// Answers a well-behaved broker owes, per socket.
    owed: VecDeque<(SocketId, Vec<u8>)>,
    history: DeviceHistory,
}

impl Harness {
    fn socket(&self, pick: u8) -> Option<SocketId> {
        if self.opened.is_empty() {
            return None;
        }
        // 0 is the newest socket; others go back in time.
        let i = usize::from(pick) % self.opened.len();
        Some(self.opened[self.opened.len() - 1 - i])
    }

    fn drain(&mut self) {
        while let Some(action) = self.session.poll_action() {
            match action {
                Action::Open { socket, url } => {
                    assert!(!url.is_empty());
                    assert!(
                        self.opened.last().is_none_or(|last| socket > *last),
                        "socket ids are fresh"
                    );
                    self.opened.push(socket);
                }
                Action::Send { socket, bytes } => {
                    assert!(self.opened.contains(&socket), "send on unopened {socket:?}");
                    assert!(
                        !self.closed.contains(&socket),
                        "send on closed {socket:?}: {bytes:02x?}"
                    );
                    self.client_sent(socket, &bytes);
                }
                Action::Close { socket } => {
                    assert!(
                        self.opened.contains(&socket),
                        "close of unopened {socket:?}"
                    );
                    self.closed.insert(socket);
                }
            }
        }
        while let Some(event) = self.session.poll_event() {
            match &event {
                Event::Delivered { packet_id, .. } => {
                    self.inflight.remove(packet_id);
                }
                Event::Abandoned { packet_ids, .. } => {
                    for id in packet_ids {
                        self.inflight.remove(id);
                    }
                }
                _ => {}
            }
            self.history.observe(&event);
        }
    }

    /// Checks what the client sent and notes what a broker would answer.
    fn client_sent(&mut self, socket: SocketId, bytes: &[u8]) {
        let mut framer = Framer::default();
        framer.push(bytes);
        let mut packets = 0;
        loop {
            let frame = match framer.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => panic!("client sent an invalid packet: {e:?} in {bytes:02x?}"),
            };
            packets += 1;
            let reply: Option<VariablePacket> = match &frame.packet {
                VariablePacket::ConnectPacket(_) => {
                    Some(ConnackPacket::new(false, ConnectReturnCode::ConnectionAccepted).into())
                }
                VariablePacket::PublishPacket(p) => match p.qos() {
                    QoSWithPacketIdentifier::Level0 => None,
                    QoSWithPacketIdentifier::Level1(id) => {
                        self.new_publish(id, dup_flag(&frame.raw));
                        Some(PubackPacket::new(id).into())
                    }
                    QoSWithPacketIdentifier::Level2(id) => {
                        self.new_publish(id, dup_flag(&frame.raw));
                        Some(PubrecPacket::new(id).into())
                    }
                },
                VariablePacket::PubrelPacket(p) => {
                    self.note_id(p.packet_identifier());
                    Some(PubcompPacket::new(p.packet_identifier()).into())
                }
                VariablePacket::SubscribePacket(p) => {
                    self.note_id(p.packet_identifier());
                    let codes = p
                        .subscribes()
                        .iter()
                        .map(|(_, q)| SubscribeReturnCode::from(*q))
                        .collect();
                    Some(SubackPacket::new(p.packet_identifier(), codes).into())
                }
                VariablePacket::UnsubscribePacket(p) => {
                    self.note_id(p.packet_identifier());
                    Some(UnsubackPacket::new(p.packet_identifier()).into())
                }
                VariablePacket::PingreqPacket(_) => Some(PingrespPacket::new().into()),
                _ => None,
            };
            if let Some(reply) = reply {
                self.owed
                    .push_back((socket, encode(&reply).expect("encodes")));
                if self.owed.len() > 64 {
                    self.owed.pop_front();
                }
            }
        }
        assert!(packets > 0, "an empty Send");
        assert_eq!(framer.buffered(), 0, "a Send ends mid-packet: {bytes:02x?}");
    }

    fn new_publish(&mut self, id: u16, dup: bool) {
        assert!(id != 0, "QoS>0 PUBLISH with packet id 0");
        if !dup {
            assert!(
                self.inflight.insert(id),
                "packet id {id} reused while still in flight"
            );
        }
        self.note_id(id);
    }

    fn note_id(&mut self, id: u16) {
        self.recent_ids.push_back(id);
        if self.recent_ids.len() > 16 {
            self.recent_ids.pop_front();
        }
    }

    fn id(&self, input: &mut Input) -> u16 {
        let pick = input.u8();
        if pick < 192 && !self.recent_ids.is_empty() {
            self.recent_ids[usize::from(pick) % self.recent_ids.len()]
        } else {
            input.u16()
        }
    }

    fn broker_bytes(&mut self, socket: SocketId, bytes: &[u8]) {
        self.session.handle_bytes(socket, bytes, self.now);
        self.drain();
    }

    fn timeout(&mut self) {
        self.session.handle_timeout(self.now);
        self.drain();
        // A driver sets a timer for poll_timeout() and calls handle_timeout when it fires:
        // a deadline that stays due would spin it.
        for _ in 0..4 {
            match self.session.poll_timeout() {
                Some(t) if t <= self.now => {
                    self.session.handle_timeout(self.now);
                    self.drain();
                }
                _ => break,
            }
        }
        let next = self.session.poll_timeout();
        assert!(
            next.is_none_or(|t| t > self.now),
            "timeout {next:?} still due at {} after handle_timeout",
            self.now
        );
    }

    /// A well-formed packet a broker (or a broken one) might send, built from the input.
    fn broker_packet(&mut self, input: &mut Input) -> Vec<u8> {
        let kind = input.u8();
        let packet: VariablePacket = match kind % 14 {
            0 => {
                let sp = input.bool();
                let code = input.u8() % 7;
                let p = ConnackPacket::new(sp, ConnectReturnCode::ConnectionAccepted);
                // Patch the return code in place: mqtt-protocol's type names only 0..=5.
                let mut bytes = encode(&p).expect("encodes");
                let last = bytes.len() - 1;
                bytes[last] = code;
                return bytes;
            }
            1..=4 => {
                let qos = input.u8() % 3;
                let id = self.id(input).max(1);
                let q = match qos {
                    0 => QoSWithPacketIdentifier::Level0,
                    1 => QoSWithPacketIdentifier::Level1(id),
                    _ => QoSWithPacketIdentifier::Level2(id),
                };
                let topic = TOPICS[usize::from(input.u8()) % TOPICS.len()];
                let flags = input.u8();
                let payload = if flags & 4 != 0 {
                    let series = ["s1", "s2", "x"][usize::from(flags >> 3) % 3];
                    let seq = if flags & 64 != 0 {
                        u32::from(input.u16()) << 16 | u32::from(input.u16())
                    } else {
                        u32::from(input.u16())
                    };
                    let delta = i64::from(input.u16() as i16) * 10;
                    Probe {
                        series: series.into(),
                        seq,
                        sent_at: self.now.saturating_add_signed(delta),
                    }
                    .encode(if flags & 128 != 0 { "body" } else { "" })
                } else {
                    input.bytes(32).to_vec()
                };
                let mut p =
                    PublishPacket::new(TopicName::new(topic).expect("valid topic"), q, payload);
                p.set_dup(flags & 1 != 0);
                p.set_retain(flags & 2 != 0);
                p.into()
            }
            5 => PubackPacket::new(self.id(input)).into(),
            6 => PubrecPacket::new(self.id(input)).into(),
            7 => PubrelPacket::new(self.id(input)).into(),
            8 => PubcompPacket::new(self.id(input)).into(),
            9 => {
                let id = self.id(input);
                let n = usize::from(input.u8() % 3);
                let codes = (0..n)
                    .map(|_| match input.u8() % 4 {
                        0 => SubscribeReturnCode::MaximumQoSLevel0,
                        1 => SubscribeReturnCode::MaximumQoSLevel1,
                        2 => SubscribeReturnCode::MaximumQoSLevel2,
                        _ => SubscribeReturnCode::Failure,
                    })
                    .collect();
                SubackPacket::new(id, codes).into()
            }
            10 => UnsubackPacket::new(self.id(input)).into(),
            11 => PingrespPacket::new().into(),
            12 => {
                // Packets a client never receives.
                match input.u8() % 4 {
                    0 => PingreqPacket::new().into(),
                    1 => DisconnectPacket::new().into(),
                    2 => ConnectPacket::new("broker").into(),
                    _ => SubscribePacket::new(
                        self.id(input).max(1),
                        vec![(
                            TopicFilter::new("a/#").expect("valid filter"),
                            QualityOfService::Level1,
                        )],
                    )
                    .into(),
                }
            }
            _ => {
                // A burst: the same QoS 1 message a few times (replay after reconnect).
                let id = self.id(input).max(1);
                let n = 1 + input.u8() % 4;
                let p = PublishPacket::new(
                    TopicName::new("a/b").expect("valid topic"),
                    QoSWithPacketIdentifier::Level1(id),
                    b"replay".to_vec(),
                );
                let one = encode(&p).expect("encodes");
                return one.repeat(usize::from(n));
            }
        };
        let mut out = Vec::new();
        packet.encode(&mut out).expect("encodes");
        out
    }

    fn views(&mut self) {
        let now = self.now;
        for row in self.session.inflight_rows(now) {
            assert_eq!(row.remaining_ms, row.deadline.saturating_sub(now));
        }
        for row in self.session.subscription_rows() {
            let _ = row.granted_attr();
        }
        let _ = self.session.broker_notice(now);
        let _ = self.session.next_ping_at();
        let _ = self.session.last_ping_rtt();
        let _ = self.session.manual_ack();
        let _ = self.session.state().as_str();
        let _ = self.session.session_present();
        let _ = self.session.config();
        // The messages view renders these on every update.
        for (series, summary) in self.session.probe_summaries() {
            assert!(
                summary.distinct <= summary.received,
                "{series}: {summary:?}"
            );
        }
        let _ = self.history.online_at(now);
        let _ = self.history.online_now();
    }

    /// The diagnostics over this history; the two bytes vary the form's settings the rules
    /// read (resubscribe, the form's broker URL).
    fn diagnose(&self, resubscribe: u8, url: u8) {
        let settings = DeviceSettings {
            clean_session: self.session.config().clean_session,
            auth: AuthInput {
                client_id: self.session.config().client_id.clone(),
                ..Default::default()
            },
            profile: self.session.config().profile.clone(),
            broker_url: if url % 2 == 0 {
                self.session.config().url.clone()
            } else {
                "ws://elsewhere:8083/mqtt".into()
            },
            resubscribe: resubscribe % 2 == 0,
            subscriptions: self
                .session
                .subscription_rows()
                .into_iter()
                .map(|r| SubscriptionFact {
                    filter: r.filter,
                    requested: r.requested,
                    granted: r.granted,
                    failed: r.failed,
                    pending: r.pending,
                })
                .collect(),
            ..Default::default()
        };
        let facts = [DeviceFacts {
            device: 0,
            settings: &settings,
            history: &self.history,
        }];
        for f in diagnose(self.now, &facts) {
            let _ = (f.rule, f.severity.as_str(), f.evidence.en.len());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let (a, b) = (input.u8(), input.u8());
    let mut h = Harness {
        session: Session::new(config(a, b)),
        now: START,
        opened: vec![],
        closed: BTreeSet::new(),
        inflight: BTreeSet::new(),
        recent_ids: VecDeque::new(),
        owed: VecDeque::new(),
        history: DeviceHistory::default(),
    };

    // Connected to the fake broker: CONNECT, then CONNACK with Session Present from the config.
    h.session.connect(h.now).expect("a client id is set");
    h.drain();
    let first = h.opened[0];
    h.session.handle_socket_open(first, h.now);
    h.drain();
    let connack = ConnackPacket::new(a & 32 != 0, ConnectReturnCode::ConnectionAccepted);
    h.owed.clear();
    h.broker_bytes(first, &encode(&connack).expect("encodes"));

    let mut ops = 0;
    while !input.done() && ops < 512 {
        ops += 1;
        let op = input.u8();
        match op % 27 {
            // Raw broker bytes on the newest socket, or on an older one.
            0..=2 => {
                let pick = if op % 27 == 2 { input.u8() } else { 0 };
                let bytes = input.bytes(64).to_vec();
                if let Some(s) = h.socket(pick) {
                    h.broker_bytes(s, &bytes);
                }
            }
            // A well-formed broker packet, possibly split across two messages.
            3..=5 => {
                let pick = if op % 27 == 5 { input.u8() } else { 0 };
                let bytes = h.broker_packet(&mut input);
                let cut = usize::from(input.u8()) % (bytes.len() + 1);
                if let Some(s) = h.socket(pick) {
                    h.broker_bytes(s, &bytes[..cut]);
                    h.broker_bytes(s, &bytes[cut..]);
                }
            }
            // The fake broker answers what it owes (CONNACK, PUBACK, SUBACK, PINGRESP...).
            6 | 7 => {
                let n = 1 + input.u8() % 4;
                for _ in 0..n {
                    let Some((s, bytes)) = h.owed.pop_front() else {
                        break;
                    };
                    if !h.closed.contains(&s) {
                        h.broker_bytes(s, &bytes);
                    }
                }
            }
            8 => {
                h.now += u64::from(input.u16());
                h.timeout();
            }
            9 => {
                if let Some(t) = h.session.poll_timeout() {
                    h.now = h.now.max(t);
                }
                h.timeout();
            }
            10 => {
                h.now += u64::from(input.u8());
                h.timeout();
            }
            11 => {
                let pick = input.u8();
                let filter = if pick < 200 {
                    FILTERS[usize::from(pick) % FILTERS.len()].to_string()
                } else {
                    input.text(24)
                };
                let _ = h.session.subscribe(&filter, input.u8() % 4, h.now);
                h.drain();
            }
            12 => {
                let pick = input.u8();
                let filter = if pick < 200 {
                    FILTERS[usize::from(pick) % FILTERS.len()].to_string()
                } else {
                    input.text(24)
                };
                let _ = h.session.unsubscribe(&filter, h.now);
                h.drain();
            }
            13 | 14 => {
                let pick = input.u8();
                let topic = if pick < 200 {
                    TOPICS[usize::from(pick) % TOPICS.len()].to_string()
                } else {
                    input.text(24)
                };
                let flags = input.u8();
                let payload = input.bytes(80).to_vec();
                let _ = h
                    .session
                    .publish(&topic, payload, flags % 4, flags & 4 != 0, h.now);
                h.drain();
            }
            15 => {
                let _ = h.session.go_silent(h.now);
                h.drain();
            }
            16 => {
                let id = h.id(&mut input);
                let _ = h.session.ack(id, h.now);
                h.drain();
            }
            17 => {
                let on = input.bool();
                h.session.set_manual_ack(on, h.now);
                h.drain();
            }
            18 => {
                let _ = h.session.connect(h.now);
                h.drain();
            }
            19 => {
                if input.bool() {
                    h.session.disconnect(h.now);
                } else {
                    h.session.drop_connection(h.now);
                }
                h.drain();
            }
            20 => {
                if let Some(s) = h.socket(input.u8()) {
                    if !h.closed.contains(&s) {
                        h.session.handle_socket_open(s, h.now);
                        h.drain();
                    }
                }
            }
            21 => {
                if let Some(s) = h.socket(input.u8()) {
                    h.closed.insert(s);
                    h.session.handle_socket_closed(s, h.now);
                    h.drain();
                }
            }
            22 => {
                // The user edits the form and connects: it applies to the new connection
                // only; a live or silent one keeps its own settings.
                let (a, b) = (input.u8(), input.u8());
                let _ = h.session.connect_with(config(a, b), h.now);
                h.drain();
            }
            23 => {
                // A probe series, as the page starts it: its timer lives in the session.
                let (count, interval) = (u32::from(input.u8()) + 1, u32::from(input.u8()) * 10);
                if let Ok(plan) = ackscope_core::probe::ProbePlan::new(count, interval) {
                    let _ = h
                        .session
                        .start_probe_series("fuzz/probe", input.u8() % 3, plan, 7, h.now);
                    h.drain();
                }
            }
            24 => {
                if input.bool() {
                    h.session.network_down(h.now);
                } else {
                    h.session.network_up(h.now);
                }
                h.drain();
            }
            25 => {
                // The page's snapshot, and a probe latency from whatever header arrived.
                let view = h.session.view(h.now);
                assert_eq!(view.state, h.session.state());
                let _ = ackscope_core::probe::latency_ms(h.now, u64::from(input.u8()) << 56);
            }
            _ => {
                let (s, p) = (input.u8(), input.u8());
                h.diagnose(s, p);
            }
        }
        h.views();
    }
    h.diagnose(1, 1);
});
