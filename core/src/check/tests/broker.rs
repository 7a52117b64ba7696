//! A scripted broker for the check's tests: a small MQTT 3.1.1 broker whose every
//! behaviour that the checks measure is a switch (`Rules`), driven with a simulated clock.
//! The test acts as the broker for each check connection's socket, as the session tests do.

use crate::check::{BrokerCheck, ClientIndex, RunState};
use crate::framing::{dup_flag, encode, qos_number, Framer};
use crate::session::{Action, SocketId};
use crate::time::Millis;
use crate::topic;
use mqtt::control::ConnectReturnCode;
use mqtt::packet::suback::SubscribeReturnCode;
use mqtt::packet::*;
use std::collections::{BTreeMap, HashMap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redelivery {
    Dup,
    NoDup,
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oversize {
    /// The subscriber's connection stalls: nothing more reaches it (mosquitto over WebSocket).
    Stall,
    /// The message is discarded; later ones still flow.
    Discard,
}

/// Every behaviour a check measures, as a switch. `Rules::default()` is mosquitto 2.0.11
/// with its defaults over WebSocket, as measured here.
#[derive(Clone, Debug)]
pub struct Rules {
    pub keep_sessions: bool,
    pub queue_qos0: bool,
    pub max_queued: usize,
    pub drop_oldest: bool,
    pub max_qos: u8,
    /// A QoS 2 PUBLISH is answered with PUBACK and handled as QoS 1 (RabbitMQ 3.10).
    pub qos2_publish_as_qos1: bool,
    pub retained: bool,
    pub retained_on_resubscribe: bool,
    pub overlapping_each: bool,
    pub redelivery: Redelivery,
    pub will: bool,
    pub dollar_leaks: bool,
    pub sys_topics: bool,
    pub zero_length: bool,
    /// A silent client is closed this long after 1.5 x keepalive; `None`: never.
    pub keepalive_extra: Option<Millis>,
    pub inflight_window: usize,
    pub max_payload: usize,
    pub oversize: Oversize,
    /// The broker ignores the first marker of every tag (a queue that was full).
    pub lose_first_marker: bool,
    /// A cleanSession=1 connect wipes the stored session (3.1.2.4); off: a broken broker.
    pub clean_wipes: bool,
    /// Nothing listens: every socket closes as it opens.
    pub down: bool,
    /// A clean session is torn down this long after its connection ends, and a CONNECT with
    /// its ClientId meanwhile is closed without CONNACK (RabbitMQ 3.10's exclusive queue).
    pub teardown: Option<Millis>,
    pub latency: Millis,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            keep_sessions: true,
            queue_qos0: false,
            max_queued: 1000,
            drop_oldest: false,
            max_qos: 2,
            qos2_publish_as_qos1: false,
            retained: true,
            retained_on_resubscribe: true,
            // mosquitto 2.0.11 sends one copy to a client whose filters overlap.
            overlapping_each: false,
            redelivery: Redelivery::Dup,
            will: true,
            dollar_leaks: false,
            sys_topics: true,
            zero_length: true,
            keepalive_extra: Some(2_000),
            inflight_window: 20,
            // mosquitto 2.0.11 delivers 4 MiB over WebSocket (slowly when idle).
            max_payload: usize::MAX,
            oversize: Oversize::Stall,
            lose_first_marker: false,
            clean_wipes: true,
            down: false,
            teardown: None,
            latency: 1,
        }
    }
}

#[derive(Clone, Debug)]
struct Msg {
    topic: String,
    payload: Vec<u8>,
    qos: u8,
    retain: bool,
}

#[derive(Debug)]
struct Conn {
    client: ClientIndex,
    framer: Framer,
    client_id: Option<String>,
    keepalive: u16,
    last_in: Millis,
    will: Option<Msg>,
    stalled: bool,
    disconnected: bool,
}

#[derive(Debug, Default)]
struct State {
    subs: Vec<(String, u8)>,
    queue: VecDeque<Msg>,
    /// Sent and not acknowledged, by packet id.
    inflight: BTreeMap<u16, Msg>,
    next_id: u16,
    online: Option<SocketId>,
    clean: bool,
}

enum Out {
    Open(ClientIndex, SocketId),
    Bytes(ClientIndex, SocketId, Vec<u8>),
    Close(ClientIndex, SocketId),
}

pub struct Broker {
    pub rules: Rules,
    conns: BTreeMap<SocketId, Conn>,
    sessions: HashMap<String, State>,
    retained: BTreeMap<String, Msg>,
    outbox: VecDeque<(Millis, Out)>,
    markers_seen: Vec<String>,
    anon: u32,
    /// Clean sessions still being torn down, until when (`Rules::teardown`).
    tearing_down: HashMap<String, Millis>,
    /// Every PUBLISH payload size the broker accepted.
    pub published: Vec<usize>,
    /// (ClientId, username, password) of every CONNECT.
    pub connects: Vec<(String, Option<String>, Option<String>)>,
}

impl Broker {
    pub fn new(rules: Rules) -> Self {
        let mut retained = BTreeMap::new();
        if rules.sys_topics {
            for (t, p) in [
                ("$SYS/broker/version", "mosquitto version 2.0.11"),
                ("$SYS/broker/uptime", "12 seconds"),
            ] {
                retained.insert(
                    t.to_string(),
                    Msg {
                        topic: t.into(),
                        payload: p.into(),
                        qos: 0,
                        retain: true,
                    },
                );
            }
        }
        Broker {
            rules,
            conns: BTreeMap::new(),
            sessions: HashMap::new(),
            retained,
            outbox: VecDeque::new(),
            markers_seen: Vec::new(),
            anon: 0,
            tearing_down: HashMap::new(),
            published: Vec::new(),
            connects: Vec::new(),
        }
    }

    fn push(&mut self, at: Millis, out: Out) {
        self.outbox.push_back((at, out));
    }

    fn send<P: mqtt::Encodable>(&mut self, socket: SocketId, packet: &P, now: Millis) {
        let Some(conn) = self.conns.get(&socket) else {
            return;
        };
        if conn.stalled {
            return;
        }
        let client = conn.client;
        let bytes = encode(packet).expect("encodes");
        let at = now + self.rules.latency;
        self.push(at, Out::Bytes(client, socket, bytes));
    }

    /// The broker closes a connection (takeover, keepalive, refusal).
    fn close(&mut self, socket: SocketId, now: Millis) {
        if let Some(conn) = self.conns.get(&socket) {
            let client = conn.client;
            let at = now + self.rules.latency;
            self.push(at, Out::Close(client, socket));
        }
        self.connection_gone(socket, now);
    }

    /// A connection ended: will, session kept or discarded.
    fn connection_gone(&mut self, socket: SocketId, now: Millis) {
        let Some(conn) = self.conns.remove(&socket) else {
            return;
        };
        if let Some(id) = &conn.client_id {
            if let Some(s) = self.sessions.get_mut(id) {
                if s.online == Some(socket) {
                    s.online = None;
                    if s.clean {
                        self.sessions.remove(id);
                        if let Some(d) = self.rules.teardown {
                            self.tearing_down.insert(id.clone(), now + d);
                        }
                    }
                }
            }
        }
        if !conn.disconnected && self.rules.will {
            if let Some(will) = conn.will {
                self.route(will, now);
            }
        }
    }

    pub fn on_action(&mut self, client: ClientIndex, action: Action, now: Millis) {
        match action {
            Action::Open { socket, .. } if self.rules.down => {
                let at = now + self.rules.latency;
                self.push(at, Out::Close(client, socket));
            }
            Action::Open { socket, .. } => {
                self.conns.insert(
                    socket,
                    Conn {
                        client,
                        framer: Framer::default(),
                        client_id: None,
                        keepalive: 0,
                        last_in: now,
                        will: None,
                        stalled: false,
                        disconnected: false,
                    },
                );
                let at = now + self.rules.latency;
                self.push(at, Out::Open(client, socket));
            }
            Action::Send { socket, bytes } => {
                let Some(conn) = self.conns.get_mut(&socket) else {
                    return;
                };
                conn.last_in = now;
                conn.framer.push(&bytes);
                while let Some(frame) = self
                    .conns
                    .get_mut(&socket)
                    .and_then(|c| c.framer.next_frame().expect("valid packets"))
                {
                    let dup = dup_flag(&frame.raw);
                    self.packet(socket, frame.packet, dup, now);
                }
            }
            Action::Close { socket } => self.connection_gone(socket, now),
        }
    }

    fn packet(&mut self, socket: SocketId, packet: VariablePacket, _dup: bool, now: Millis) {
        match packet {
            VariablePacket::ConnectPacket(c) => self.connect(socket, c, now),
            VariablePacket::SubscribePacket(p) => self.subscribe(socket, p, now),
            VariablePacket::PublishPacket(p) => {
                let (qos, id) = p.qos().split();
                let mut qos = qos_number(qos);
                if qos == 2 && self.rules.qos2_publish_as_qos1 {
                    qos = 1;
                }
                let msg = Msg {
                    topic: p.topic_name().to_string(),
                    payload: p.payload().to_vec(),
                    qos,
                    retain: p.retain(),
                };
                self.published.push(msg.payload.len());
                let is_marker = msg.payload.starts_with(b"marker:");
                let first_marker = is_marker
                    && msg.payload.ends_with(b":1")
                    && !self.markers_seen.contains(&msg.topic);
                if first_marker {
                    self.markers_seen.push(msg.topic.clone());
                }
                match (qos, id) {
                    (1, Some(id)) => self.send(socket, &PubackPacket::new(id), now),
                    (2, Some(id)) => self.send(socket, &PubrecPacket::new(id), now),
                    _ => {}
                }
                if first_marker && self.rules.lose_first_marker {
                    return;
                }
                if msg.retain {
                    if msg.payload.is_empty() {
                        self.retained.remove(&msg.topic);
                    } else if self.rules.retained {
                        self.retained.insert(msg.topic.clone(), msg.clone());
                    }
                }
                self.route(
                    Msg {
                        retain: false,
                        ..msg
                    },
                    now,
                );
            }
            VariablePacket::PubrelPacket(p) => {
                self.send(socket, &PubcompPacket::new(p.packet_identifier()), now)
            }
            VariablePacket::PubackPacket(p) => self.acked(socket, p.packet_identifier(), now),
            VariablePacket::PubrecPacket(p) => {
                self.send(socket, &PubrelPacket::new(p.packet_identifier()), now)
            }
            VariablePacket::PubcompPacket(p) => self.acked(socket, p.packet_identifier(), now),
            VariablePacket::PingreqPacket(_) => self.send(socket, &PingrespPacket::new(), now),
            VariablePacket::DisconnectPacket(_) => {
                if let Some(c) = self.conns.get_mut(&socket) {
                    c.disconnected = true;
                }
            }
            _ => {}
        }
    }

    fn connect(&mut self, socket: SocketId, c: ConnectPacket, now: Millis) {
        self.connects.push((
            c.client_identifier().to_string(),
            c.user_name().map(str::to_string),
            c.password().map(str::to_string),
        ));
        let mut id = c.client_identifier().to_string();
        if id.is_empty() {
            if !self.rules.zero_length {
                self.send(
                    socket,
                    &ConnackPacket::new(false, ConnectReturnCode::IdentifierRejected),
                    now,
                );
                self.close(socket, now);
                return;
            }
            self.anon += 1;
            id = format!("auto-{}", self.anon);
        }
        if self.tearing_down.get(&id).is_some_and(|until| now < *until) {
            self.close(socket, now);
            return;
        }
        // Takeover: the old connection is closed.
        if let Some(old) = self.sessions.get(&id).and_then(|s| s.online) {
            self.close(old, now);
        }
        let mut clean = c.clean_session() || !self.rules.keep_sessions;
        if clean && !self.rules.clean_wipes && self.sessions.get(&id).is_some_and(|s| !s.clean) {
            // A broken broker: the stored session survives a clean connect.
            clean = false;
        }
        if clean {
            self.sessions.remove(&id);
        }
        let present = self.sessions.contains_key(&id);
        let state = self.sessions.entry(id.clone()).or_default();
        state.online = Some(socket);
        state.clean = clean;
        if let Some(conn) = self.conns.get_mut(&socket) {
            conn.client_id = Some(id.clone());
            conn.keepalive = c.keep_alive();
            conn.will = c.will().map(|(t, p)| Msg {
                topic: t.to_string(),
                payload: p.to_vec(),
                qos: c.will_qos(),
                retain: c.will_retain(),
            });
        }
        self.send(
            socket,
            &ConnackPacket::new(present, ConnectReturnCode::ConnectionAccepted),
            now,
        );
        if present {
            let inflight: Vec<(u16, Msg)> =
                std::mem::take(&mut self.sessions.get_mut(&id).expect("session").inflight)
                    .into_iter()
                    .collect();
            for (pid, msg) in inflight {
                match self.rules.redelivery {
                    Redelivery::Lost => {}
                    r => self.transmit(&id, socket, pid, msg, r == Redelivery::Dup, now),
                }
            }
        }
        self.flush(&id, now);
    }

    fn subscribe(&mut self, socket: SocketId, p: SubscribePacket, now: Millis) {
        let Some(id) = self.conns.get(&socket).and_then(|c| c.client_id.clone()) else {
            return;
        };
        let mut codes = Vec::new();
        let mut retained_for = Vec::new();
        for (filter, qos) in p.subscribes() {
            let filter = filter.to_string();
            let granted = qos_number(*qos).min(self.rules.max_qos);
            let state = self.sessions.get_mut(&id).expect("session");
            let again = state.subs.iter().any(|(f, _)| *f == filter);
            state.subs.retain(|(f, _)| *f != filter);
            state.subs.push((filter.clone(), granted));
            codes.push(match granted {
                0 => SubscribeReturnCode::MaximumQoSLevel0,
                1 => SubscribeReturnCode::MaximumQoSLevel1,
                _ => SubscribeReturnCode::MaximumQoSLevel2,
            });
            if !again || self.rules.retained_on_resubscribe {
                retained_for.push((filter, granted));
            }
        }
        self.send(
            socket,
            &SubackPacket::new(p.packet_identifier(), codes),
            now,
        );
        for (filter, granted) in retained_for {
            let matching: Vec<Msg> = self
                .retained
                .values()
                .filter(|m| self.matches(&filter, &m.topic))
                .cloned()
                .collect();
            for m in matching {
                let qos = m.qos.min(granted);
                self.deliver(
                    &id,
                    Msg {
                        qos,
                        retain: true,
                        ..m
                    },
                    now,
                );
            }
        }
    }

    fn matches(&self, filter: &str, topic: &str) -> bool {
        if self.rules.dollar_leaks && topic.starts_with('$') {
            let rest_t = topic.split_once('/').map(|x| x.1);
            let rest_f = filter.split_once('/').map(|x| x.1);
            return match filter {
                "#" => true,
                f if f.starts_with("+/") || f == "+" => match (rest_f, rest_t) {
                    (Some(f), Some(t)) => topic::matches(f, t),
                    (None, None) => true,
                    _ => false,
                },
                f => topic::matches(f, topic),
            };
        }
        topic::matches(filter, topic)
    }

    fn route(&mut self, msg: Msg, now: Millis) {
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for id in ids {
            let grants: Vec<u8> = self.sessions[&id]
                .subs
                .iter()
                .filter(|(f, _)| self.matches(f, &msg.topic))
                .map(|(_, q)| *q)
                .collect();
            if grants.is_empty() {
                continue;
            }
            let copies: Vec<u8> = if self.rules.overlapping_each {
                grants
            } else {
                vec![grants.iter().copied().max().unwrap_or(0)]
            };
            for g in copies {
                let m = Msg {
                    qos: msg.qos.min(g),
                    ..msg.clone()
                };
                self.deliver(&id, m, now);
            }
        }
    }

    /// Queues `msg` for session `id` and sends what the window allows.
    fn deliver(&mut self, id: &str, msg: Msg, now: Millis) {
        let rules = self.rules.clone();
        let Some(state) = self.sessions.get_mut(id) else {
            return;
        };
        if state.online.is_none() && msg.qos == 0 && !rules.queue_qos0 {
            return;
        }
        if state.queue.len() >= rules.max_queued {
            if rules.drop_oldest {
                state.queue.pop_front();
            } else {
                return;
            }
        }
        state.queue.push_back(msg);
        self.flush(id, now);
    }

    fn flush(&mut self, id: &str, now: Millis) {
        loop {
            let window = self.rules.inflight_window;
            let Some(state) = self.sessions.get_mut(id) else {
                return;
            };
            let Some(socket) = state.online else { return };
            let Some(front) = state.queue.front() else {
                return;
            };
            if front.qos > 0 && state.inflight.len() >= window {
                return;
            }
            let msg = state.queue.pop_front().expect("front");
            let pid = if msg.qos > 0 {
                state.next_id = state.next_id % 65_000 + 1;
                state.next_id
            } else {
                0
            };
            self.transmit(id, socket, pid, msg, false, now);
        }
    }

    fn transmit(&mut self, id: &str, socket: SocketId, pid: u16, msg: Msg, dup: bool, now: Millis) {
        if msg.qos > 0 {
            if let Some(s) = self.sessions.get_mut(id) {
                s.inflight.insert(pid, msg.clone());
            }
        }
        if msg.payload.len() > self.rules.max_payload {
            match self.rules.oversize {
                Oversize::Discard => {
                    if let Some(s) = self.sessions.get_mut(id) {
                        s.inflight.remove(&pid);
                    }
                }
                Oversize::Stall => {
                    if let Some(c) = self.conns.get_mut(&socket) {
                        c.stalled = true;
                    }
                }
            }
            return;
        }
        let q = match msg.qos {
            0 => QoSWithPacketIdentifier::Level0,
            1 => QoSWithPacketIdentifier::Level1(pid),
            _ => QoSWithPacketIdentifier::Level2(pid),
        };
        let mut p = PublishPacket::new(
            mqtt::TopicName::new(msg.topic.clone()).expect("topic"),
            q,
            msg.payload,
        );
        p.set_retain(msg.retain);
        p.set_dup(dup);
        self.send(socket, &p, now);
    }

    fn acked(&mut self, socket: SocketId, pid: u16, now: Millis) {
        let Some(id) = self.conns.get(&socket).and_then(|c| c.client_id.clone()) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&id) {
            s.inflight.remove(&pid);
        }
        self.flush(&id, now);
    }

    /// Closes silent clients whose keepalive ran out.
    fn tick(&mut self, now: Millis) {
        let Some(extra) = self.rules.keepalive_extra else {
            return;
        };
        let due: Vec<SocketId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.keepalive > 0 && now >= Self::notice_at(c, extra))
            .map(|(s, _)| *s)
            .collect();
        for s in due {
            self.close(s, now);
        }
    }

    fn notice_at(c: &Conn, extra: Millis) -> Millis {
        c.last_in + Millis::from(c.keepalive) * 1_500 + extra
    }

    fn next_at(&self) -> Option<Millis> {
        let out = self.outbox.iter().map(|(at, _)| *at).min();
        let ka = self.rules.keepalive_extra.and_then(|extra| {
            self.conns
                .values()
                .filter(|c| c.keepalive > 0)
                .map(|c| Self::notice_at(c, extra))
                .min()
        });
        out.into_iter().chain(ka).min()
    }

    /// Whether any session is left (the check must wipe what it made persistent).
    pub fn persistent_sessions(&self) -> Vec<String> {
        self.sessions
            .iter()
            .filter(|(_, s)| !s.clean)
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn retained_topics(&self) -> Vec<String> {
        self.retained
            .keys()
            .filter(|t| !t.starts_with('$'))
            .cloned()
            .collect()
    }

    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }
}

/// Runs `check` against `broker` from `start` until it is finished (or `until` says stop,
/// e.g. to cancel in the middle). Returns the simulated time it ended.
pub fn run(
    check: &mut BrokerCheck,
    broker: &mut Broker,
    start: Millis,
    mut until: impl FnMut(&mut BrokerCheck, Millis) -> bool,
) -> Millis {
    let mut now = start;
    check.start(now);
    for _ in 0..5_000_000 {
        while let Some((client, action)) = check.poll_action() {
            broker.on_action(client, action, now);
        }
        if until(check, now) {
            return now;
        }
        let done = matches!(check.state(), RunState::Finished | RunState::Cancelled);
        if done && broker.outbox.is_empty() {
            return now;
        }
        let next = [broker.next_at(), check.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            assert!(
                done,
                "the check waits for nothing: stuck at {:?}",
                check.view(now).current
            );
            return now;
        };
        now = now.max(next);
        while let Some(pos) = broker.outbox.iter().position(|(at, _)| *at <= now) {
            let (_, out) = broker.outbox.remove(pos).expect("item");
            match out {
                Out::Open(c, s) => check.handle_socket_open(c, s, now),
                Out::Bytes(c, s, b) => check.handle_bytes(c, s, &b, now),
                Out::Close(c, s) => check.handle_socket_closed(c, s, now),
            }
            while let Some((client, action)) = check.poll_action() {
                broker.on_action(client, action, now);
            }
        }
        broker.tick(now);
        if check.poll_timeout().is_some_and(|t| t <= now) {
            check.handle_timeout(now);
        }
        assert!(
            now - start < 3_600_000,
            "the run takes over an hour of simulated time"
        );
    }
    panic!("the run does not end");
}
