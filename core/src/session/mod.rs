//! The session state machine: a quinn-shaped, sans-IO MQTT 3.1.1 client.
//!
//! Inputs: commands (`connect`, `publish`, ...) and `handle_socket_open`,
//! `handle_bytes`, `handle_socket_closed`, `handle_timeout`, each with `now`.
//! Outputs, drained after every input in this order: `poll_action` (socket I/O),
//! `poll_event` (what to show), then `poll_timeout` (when to call `handle_timeout`).

mod config;
mod error;
mod connection;
mod events;
mod incoming;
mod packet_ids;
mod views;

pub use error::CommandError;
pub use config::{ProtocolVersion, Qos, ReconnectPolicy, SessionConfig, Will};
pub use events::{
    Action, CloseReason, ConnState, ConnackRefusal, Direction, Event, IncomingMessage,
    PacketRecord, SocketId,
};
pub use packet_ids::PacketIds;
pub use views::{BrokerNotice, InflightKind, InflightRow, SubscriptionRow};

use crate::framing::{describe, encode};
use crate::probe::ProbeTracker;
use crate::time::Millis;
use crate::topic::{validate_filter, validate_name, TopicError};
use connection::{Connection, Phase};
use mqtt::packet::{
    ConnectPacket, DisconnectPacket, PingreqPacket, PubackPacket, PublishPacket, PubrecPacket,
    PubrelPacket, QoSWithPacketIdentifier, SubscribePacket, UnsubscribePacket, VariablePacket,
};
use mqtt::{QualityOfService, TopicFilter, TopicName};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How long the replay burst after a Session Present = 1 CONNACK is assumed to last
/// without a message; each message in it extends it.
const REPLAY_QUIET_MS: Millis = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The ack an outgoing QoS>0 message waits for.
pub(crate) enum OutStage {
    Puback,
    Pubrec,
    Pubcomp,
}

#[derive(Clone, Debug)]
pub(crate) struct OutgoingPublish {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: Qos,
    pub retain: bool,
    pub stage: OutStage,
    pub sent_at: Millis,
    pub deadline: Millis,
    pub overdue: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct QueuedPublish {
    pub id: u16,
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: Qos,
    pub retain: bool,
}

/// An incoming QoS>0 message whose ack is withheld, or one pushed into a dead connection.
#[derive(Clone, Debug)]
pub(crate) struct HeldDelivery {
    pub qos: Qos,
    pub topic: String,
    pub received_at: Millis,
    pub broker_deadline: Millis,
    pub overdue: bool,
    pub dead: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    pub filter: String,
    pub requested: Qos,
    pub granted: Option<Qos>,
    /// A SUBACK answered 0x80.
    pub failed: bool,
    pub pending: bool,
}

/// One device's MQTT session: the client side of it, and what it can see of the broker's.
#[derive(Debug)]
pub struct Session {
    pub(crate) config: SessionConfig,
    pub(crate) state: ConnState,
    pub(crate) current: Option<Connection>,
    /// A silent connection left behind when the device connected again.
    pub(crate) dead: Option<Connection>,
    next_socket: u32,
    pub(crate) ids: PacketIds,
    pub(crate) outgoing: BTreeMap<u16, OutgoingPublish>,
    pub(crate) queue: VecDeque<QueuedPublish>,
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) pending_subacks: BTreeMap<u16, Vec<String>>,
    pub(crate) pending_unsubacks: BTreeMap<u16, Vec<String>>,
    /// Incoming QoS 2 ids that got PUBREC and wait for PUBREL.
    pub(crate) awaiting_pubrel: BTreeSet<u16>,
    /// Incoming deliveries not acknowledged (withheld or dead), keyed by (socket, id).
    pub(crate) held: BTreeMap<(SocketId, u16), HeldDelivery>,
    /// First times messages were pushed into a dead connection, by key.
    pub(crate) dead_deliveries: Vec<(Vec<u8>, Millis)>,
    pub(crate) probes: ProbeTracker,
    pub(crate) session_present: Option<bool>,
    pub(crate) last_rtt_ms: Option<Millis>,
    /// The user wants this device online: reconnect after an unexpected loss.
    wants_online: bool,
    reconnect_attempt: u32,
    pub(crate) reconnect_at: Option<Millis>,
    rng: u64,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
}

impl Session {
    pub fn new(config: SessionConfig) -> Self {
        let rng = config.seed | 1;
        Session {
            config,
            state: ConnState::Disconnected,
            current: None,
            dead: None,
            next_socket: 1,
            ids: PacketIds::default(),
            outgoing: BTreeMap::new(),
            queue: VecDeque::new(),
            subscriptions: Vec::new(),
            pending_subacks: BTreeMap::new(),
            pending_unsubacks: BTreeMap::new(),
            awaiting_pubrel: BTreeSet::new(),
            held: BTreeMap::new(),
            dead_deliveries: Vec::new(),
            probes: ProbeTracker::default(),
            session_present: None,
            last_rtt_ms: None,
            wants_online: false,
            reconnect_attempt: 0,
            reconnect_at: None,
            rng,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Changes the settings used by the next connection (the current one keeps its own).
    pub fn set_config(&mut self, config: SessionConfig) {
        self.config = config;
    }

    pub fn state(&self) -> ConnState {
        self.state
    }

    /// Session Present of the last CONNACK; `None` before the first one.
    pub fn session_present(&self) -> Option<bool> {
        self.session_present
    }

    // ---- outputs ------------------------------------------------------------------------

    /// Socket I/O to perform, in order.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// What happened, in order.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest time `handle_timeout` must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        let mut next: Option<Millis> = None;
        let mut consider = |t: Millis| next = Some(next.map_or(t, |n: Millis| n.min(t)));
        if let Some(at) = self.reconnect_at {
            consider(at);
        }
        if let Some(conn) = &self.current {
            match conn.phase {
                Phase::AwaitingConnack { deadline } => consider(deadline),
                Phase::Connected { .. } if conn.silent_since.is_none() => {
                    if let Some(sent) = conn.ping_sent_at {
                        consider(sent + self.config.ping_timeout_ms);
                    } else if self.config.keepalive_secs > 0 {
                        consider(conn.last_sent_at + self.config.keepalive_ms());
                    }
                }
                _ => {}
            }
        }
        for o in self.outgoing.values().filter(|o| !o.overdue) {
            consider(o.deadline);
        }
        for h in self.held.values().filter(|h| !h.overdue) {
            consider(h.broker_deadline);
        }
        next
    }

    // ---- commands -----------------------------------------------------------------------

    /// Opens a new connection. While silent, this is a device back on the network: the old
    /// socket stays open until the broker closes it (session takeover).
    pub fn connect(&mut self, now: Millis) -> Result<(), CommandError> {
        if let Some(conn) = &self.current {
            if conn.silent_since.is_none() {
                return Err(CommandError::AlreadyConnected);
            }
        }
        if self.config.client_id.is_empty() && !self.config.clean_session {
            return Err(CommandError::EmptyClientIdNeedsCleanSession);
        }
        self.wants_online = true;
        self.reconnect_attempt = 0;
        // A user's connect replaces a scheduled automatic one.
        self.reconnect_at = None;
        self.open_connection(now);
        Ok(())
    }

    /// Sends DISCONNECT and closes: the broker discards the will.
    pub fn disconnect(&mut self, now: Millis) {
        self.wants_online = false;
        self.reconnect_at = None;
        if let Some(conn) = &self.current {
            if conn.silent_since.is_none() && matches!(conn.phase, Phase::Connected { .. }) {
                let socket = conn.socket;
                self.send_packet(
                    socket,
                    &VariablePacket::DisconnectPacket(DisconnectPacket::new()),
                    now,
                );
            }
        }
        self.close_current(now, CloseReason::UserDisconnect);
    }

    /// Closes the socket without DISCONNECT: the broker sees the close at once and publishes the will.
    pub fn drop_connection(&mut self, now: Millis) {
        self.wants_online = false;
        self.reconnect_at = None;
        self.close_current(now, CloseReason::UserDrop);
        if let Some(dead) = self.dead.take() {
            self.actions.push_back(Action::Close {
                socket: dead.socket,
            });
            self.forget_socket(dead.socket);
        }
    }

    /// Keeps the socket open but sends nothing more, as a device whose network died.
    pub fn go_silent(&mut self, now: Millis) -> Result<(), CommandError> {
        let conn = match &mut self.current {
            Some(c) if c.connack_at().is_some() && c.silent_since.is_none() => c,
            _ => return Err(CommandError::NotConnected),
        };
        conn.silent_since = Some(now);
        conn.ping_sent_at = None;
        self.wants_online = false;
        self.reconnect_at = None;
        // Acks withheld so far will never be sent now: they become dead deliveries.
        for h in self.held.values_mut() {
            h.dead = true;
        }
        self.set_state(ConnState::Silent, now);
        Ok(())
    }

    pub fn subscribe(&mut self, filter: &str, qos: Qos, now: Millis) -> Result<(), CommandError> {
        validate_filter(filter).map_err(CommandError::Topic)?;
        check_qos(qos)?;
        match self.subscriptions.iter_mut().find(|s| s.filter == filter) {
            Some(s) => {
                s.requested = qos;
                s.pending = true;
            }
            None => self.subscriptions.push(Subscription {
                filter: filter.to_string(),
                requested: qos,
                granted: None,
                failed: false,
                pending: true,
            }),
        }
        if let Some(socket) = self.live_socket() {
            self.send_subscribe(socket, &[(filter.to_string(), qos)], now)?;
        }
        Ok(())
    }

    pub fn unsubscribe(&mut self, filter: &str, now: Millis) -> Result<(), CommandError> {
        validate_filter(filter).map_err(CommandError::Topic)?;
        match self.live_socket() {
            Some(socket) => {
                let id = self.ids.allocate().ok_or(CommandError::NoFreePacketId)?;
                let f =
                    TopicFilter::new(filter).map_err(|_| CommandError::Topic(TopicError::Empty))?;
                self.pending_unsubacks.insert(id, vec![filter.to_string()]);
                self.send_packet(socket, &UnsubscribePacket::new(id, vec![f]).into(), now);
            }
            None => {
                self.subscriptions.retain(|s| s.filter != filter);
                self.events.push_back(Event::Unsubscribed {
                    at: now,
                    filter: filter.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Publishes; returns the packet id for QoS 1 and 2. Beyond the inflight window the
    /// message waits in a queue and goes out as acks come back.
    pub fn publish(
        &mut self,
        topic: &str,
        payload: Vec<u8>,
        qos: Qos,
        retain: bool,
        now: Millis,
    ) -> Result<Option<u16>, CommandError> {
        validate_name(topic).map_err(CommandError::Topic)?;
        check_qos(qos)?;
        let limit = self.config.max_packet_bytes;
        if payload.len() > limit {
            return Err(CommandError::PayloadTooLarge {
                bytes: payload.len(),
                limit,
            });
        }
        let socket = self.live_socket().ok_or(CommandError::NotConnected)?;
        if qos == 0 {
            let packet = build_publish(topic, 0, 0, retain, false, payload)?;
            self.send_packet(socket, &packet.into(), now);
            return Ok(None);
        }
        let id = self.ids.allocate().ok_or(CommandError::NoFreePacketId)?;
        let queued = QueuedPublish {
            id,
            topic: topic.to_string(),
            payload,
            qos,
            retain,
        };
        if self.outgoing.len() < self.config.max_inflight.max(1) {
            self.send_new_publish(socket, queued, now);
        } else {
            self.queue.push_back(queued);
        }
        Ok(Some(id))
    }

    /// Sends the withheld ack of an incoming message.
    pub fn ack(&mut self, packet_id: u16, now: Millis) -> Result<(), CommandError> {
        let socket = self.live_socket().ok_or(CommandError::NotConnected)?;
        let held = self
            .held
            .remove(&(socket, packet_id))
            .ok_or(CommandError::UnknownPacketId(packet_id))?;
        self.send_ack(socket, held.qos, packet_id, now);
        Ok(())
    }

    /// Switches manual-ack mode; switching it off acks everything withheld on the live socket.
    pub fn set_manual_ack(&mut self, on: bool, now: Millis) {
        self.config.manual_ack = on;
        if on {
            return;
        }
        if let Some(socket) = self.live_socket() {
            let ids: Vec<u16> = self
                .held
                .keys()
                .filter(|(s, _)| *s == socket)
                .map(|(_, id)| *id)
                .collect();
            for id in ids {
                let _ = self.ack(id, now);
            }
        }
    }

    // ---- socket inputs ------------------------------------------------------------------

    pub fn handle_socket_open(&mut self, socket: SocketId, now: Millis) {
        let Some(conn) = self.current.as_mut().filter(|c| c.socket == socket) else {
            return;
        };
        conn.phase = Phase::AwaitingConnack {
            deadline: now + self.config.connack_timeout_ms,
        };
        match self.build_connect() {
            Ok(connect) => {
                let masked = self.masked_connect_bytes(&connect);
                self.send_packet_masked(
                    socket,
                    &VariablePacket::ConnectPacket(connect),
                    masked,
                    now,
                );
            }
            Err(reason) => self.fail_current(now, CloseReason::UnexpectedPacket(reason)),
        }
    }

    pub fn handle_socket_closed(&mut self, socket: SocketId, now: Millis) {
        if self.dead.as_ref().is_some_and(|d| d.socket == socket) {
            if let Some(dead) = self.dead.take() {
                self.report_silent_close(&dead, now);
                self.forget_socket(socket);
            }
            return;
        }
        let Some(conn) = self.current.as_ref().filter(|c| c.socket == socket) else {
            return;
        };
        if conn.silent_since.is_some() {
            if let Some(conn) = self.current.take() {
                self.report_silent_close(&conn, now);
                self.forget_socket(socket);
            }
            self.set_state(ConnState::Disconnected, now);
            return;
        }
        let reason = if conn.phase == Phase::Opening {
            CloseReason::SocketFailed
        } else {
            CloseReason::SocketClosed
        };
        self.current = None;
        self.connection_ended(socket, now, reason, false);
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.reconnect_at.is_some_and(|at| at <= now) {
            self.reconnect_at = None;
            if self.current.is_none() {
                self.open_connection(now);
            }
        }
        if let Some(conn) = &self.current {
            let socket = conn.socket;
            match conn.phase {
                Phase::AwaitingConnack { deadline } if deadline <= now => {
                    self.fail_current(now, CloseReason::ConnackTimeout);
                }
                Phase::Connected { .. } if conn.silent_since.is_none() => {
                    if let Some(sent) = conn.ping_sent_at {
                        if sent + self.config.ping_timeout_ms <= now {
                            self.fail_current(now, CloseReason::PingTimeout);
                        }
                    } else if self.config.keepalive_secs > 0
                        && conn.last_sent_at + self.config.keepalive_ms() <= now
                    {
                        self.send_packet(
                            socket,
                            &VariablePacket::PingreqPacket(PingreqPacket::new()),
                            now,
                        );
                        if let Some(c) = self.current.as_mut() {
                            c.ping_sent_at = Some(now);
                        }
                    }
                }
                _ => {}
            }
        }
        for (id, o) in self.outgoing.iter_mut() {
            if !o.overdue && o.deadline <= now {
                o.overdue = true;
                self.events.push_back(Event::AckOverdue {
                    at: now,
                    packet_id: *id,
                });
            }
        }
        for ((_, id), h) in self.held.iter_mut() {
            if !h.overdue && h.broker_deadline <= now {
                h.overdue = true;
                self.events.push_back(Event::BrokerAckTimeout {
                    at: now,
                    packet_id: *id,
                });
            }
        }
    }

    // ---- internals ----------------------------------------------------------------------

    /// The socket of a connected, non-silent connection.
    pub(crate) fn live_socket(&self) -> Option<SocketId> {
        self.current
            .as_ref()
            .filter(|c| c.silent_since.is_none() && c.connack_at().is_some())
            .map(|c| c.socket)
    }

    fn open_connection(&mut self, now: Millis) {
        if let Some(old) = self.current.take() {
            if old.silent_since.is_some() {
                // Keep at most one dead connection: an older one is closed by the page.
                if let Some(older) = self.dead.replace(old) {
                    self.actions.push_back(Action::Close {
                        socket: older.socket,
                    });
                    self.forget_socket(older.socket);
                }
            } else {
                self.actions.push_back(Action::Close { socket: old.socket });
            }
        }
        self.abandon_pending_requests();
        let socket = SocketId(self.next_socket);
        self.next_socket += 1;
        self.current = Some(Connection::new(socket, now, self.config.max_packet_bytes));
        self.actions.push_back(Action::Open {
            socket,
            url: self.config.url.clone(),
        });
        self.set_state(ConnState::Connecting, now);
    }

    fn build_connect(&self) -> Result<ConnectPacket, String> {
        let c = &self.config;
        let mut connect = match c.protocol {
            ProtocolVersion::V311 => ConnectPacket::new(c.client_id.clone()),
            ProtocolVersion::V31 => ConnectPacket::with_level("MQIsdp", c.client_id.clone(), 3)
                .map_err(|e| e.to_string())?,
        };
        connect.set_clean_session(c.clean_session);
        connect.set_keep_alive(c.keepalive_secs);
        connect.set_user_name(c.username.clone().filter(|u| !u.is_empty()));
        connect.set_password(c.password.clone().filter(|p| !p.is_empty()));
        if let Some(will) = &c.will {
            let topic = TopicName::new(will.topic.clone()).map_err(|e| e.to_string())?;
            connect.set_will(Some((topic, will.payload.clone())));
            connect.set_will_qos(will.qos);
            connect.set_will_retain(will.retain);
        }
        Ok(connect)
    }

    /// The CONNECT bytes for the packet log, with every password character replaced by `*`.
    fn masked_connect_bytes(&self, connect: &ConnectPacket) -> Vec<u8> {
        let mut masked = connect.clone();
        if let Some(pw) = connect.password() {
            masked.set_password(Some("*".repeat(pw.len())));
        }
        encode(&masked).unwrap_or_default()
    }

    pub(crate) fn send_packet(&mut self, socket: SocketId, packet: &VariablePacket, now: Millis) {
        self.send_packet_masked(socket, packet, Vec::new(), now);
    }

    fn send_packet_masked(
        &mut self,
        socket: SocketId,
        packet: &VariablePacket,
        masked: Vec<u8>,
        now: Millis,
    ) {
        let bytes = match encode(packet) {
            Ok(b) => b,
            Err(reason) => {
                self.fail_current(now, CloseReason::UnexpectedPacket(reason));
                return;
            }
        };
        let raw = if masked.is_empty() {
            bytes.clone()
        } else {
            masked
        };
        self.events.push_back(Event::Packet(PacketRecord {
            at: now,
            direction: Direction::Out,
            socket,
            summary: describe(packet, &bytes),
            raw,
        }));
        self.actions.push_back(Action::Send { socket, bytes });
        if let Some(conn) = self.current.as_mut().filter(|c| c.socket == socket) {
            conn.last_sent_at = now;
        }
    }

    pub(crate) fn send_subscribe(
        &mut self,
        socket: SocketId,
        filters: &[(String, Qos)],
        now: Millis,
    ) -> Result<(), CommandError> {
        let id = self.ids.allocate().ok_or(CommandError::NoFreePacketId)?;
        let mut list = Vec::new();
        for (f, q) in filters {
            let filter =
                TopicFilter::new(f.clone()).map_err(|_| CommandError::Topic(TopicError::Empty))?;
            list.push((filter, qos_level(*q)));
        }
        self.pending_subacks
            .insert(id, filters.iter().map(|(f, _)| f.clone()).collect());
        self.send_packet(socket, &SubscribePacket::new(id, list).into(), now);
        Ok(())
    }

    fn send_new_publish(&mut self, socket: SocketId, q: QueuedPublish, now: Millis) {
        match build_publish(&q.topic, q.qos, q.id, q.retain, false, q.payload.clone()) {
            Ok(packet) => {
                self.outgoing.insert(
                    q.id,
                    OutgoingPublish {
                        topic: q.topic,
                        payload: q.payload,
                        qos: q.qos,
                        retain: q.retain,
                        stage: if q.qos == 1 {
                            OutStage::Puback
                        } else {
                            OutStage::Pubrec
                        },
                        sent_at: now,
                        deadline: now + self.config.ack_timeout_ms,
                        overdue: false,
                    },
                );
                self.send_packet(socket, &packet.into(), now);
            }
            Err(_) => self.ids.release(q.id),
        }
    }

    /// Sends queued publishes while the inflight window has room.
    pub(crate) fn drain_queue(&mut self, now: Millis) {
        while self.outgoing.len() < self.config.max_inflight.max(1) {
            let Some(socket) = self.live_socket() else {
                return;
            };
            let Some(q) = self.queue.pop_front() else {
                return;
            };
            self.send_new_publish(socket, q, now);
        }
    }

    pub(crate) fn send_ack(&mut self, socket: SocketId, qos: Qos, id: u16, now: Millis) {
        if qos == 2 {
            self.awaiting_pubrel.insert(id);
            self.send_packet(socket, &PubrecPacket::new(id).into(), now);
        } else {
            self.send_packet(socket, &PubackPacket::new(id).into(), now);
        }
    }

    /// After CONNACK 0: resend or abandon what was in flight, then resubscribe.
    pub(crate) fn resume(&mut self, socket: SocketId, session_present: bool, now: Millis) {
        let ids: Vec<u16> = self.outgoing.keys().copied().collect();
        if !ids.is_empty() {
            if session_present {
                for id in &ids {
                    let Some(o) = self.outgoing.get_mut(id) else {
                        continue;
                    };
                    o.deadline = now + self.config.ack_timeout_ms;
                    o.overdue = false;
                    let (stage, o) = (o.stage, o.clone());
                    let packet: VariablePacket = if stage == OutStage::Pubcomp {
                        PubrelPacket::new(*id).into()
                    } else {
                        match build_publish(&o.topic, o.qos, *id, o.retain, true, o.payload) {
                            Ok(p) => p.into(),
                            Err(_) => continue,
                        }
                    };
                    self.send_packet(socket, &packet, now);
                }
                self.events.push_back(Event::Resent {
                    at: now,
                    packet_ids: ids,
                });
            } else {
                for id in &ids {
                    self.outgoing.remove(id);
                    self.ids.release(*id);
                }
                self.events.push_back(Event::Abandoned {
                    at: now,
                    packet_ids: ids,
                });
            }
        }
        if !session_present {
            // The broker forgot the QoS 2 ids we were waiting on.
            self.awaiting_pubrel.clear();
        }
        let to_send: Vec<(String, Qos)> = self
            .subscriptions
            .iter()
            .filter(|s| self.config.resubscribe_on_connect || s.pending)
            .map(|s| (s.filter.clone(), s.requested))
            .collect();
        for (filter, qos) in to_send {
            if let Some(s) = self.subscriptions.iter_mut().find(|s| s.filter == filter) {
                s.pending = true;
            }
            let _ = self.send_subscribe(socket, &[(filter, qos)], now);
        }
        self.drain_queue(now);
    }

    /// Ends the current connection because of `reason` and closes its socket.
    pub(crate) fn fail_current(&mut self, now: Millis, reason: CloseReason) {
        if let Some(conn) = self.current.take() {
            self.actions.push_back(Action::Close {
                socket: conn.socket,
            });
            let refused = matches!(&reason, CloseReason::Refused(r) if r.is_final());
            self.connection_ended(conn.socket, now, reason, refused);
        }
    }

    fn close_current(&mut self, now: Millis, reason: CloseReason) {
        if let Some(conn) = self.current.take() {
            self.actions.push_back(Action::Close {
                socket: conn.socket,
            });
            self.connection_ended(conn.socket, now, reason, true);
        } else {
            self.set_state(ConnState::Disconnected, now);
        }
    }

    fn connection_ended(
        &mut self,
        socket: SocketId,
        now: Millis,
        reason: CloseReason,
        final_: bool,
    ) {
        self.events.push_back(Event::Closed {
            at: now,
            socket,
            reason,
        });
        self.forget_socket(socket);
        self.abandon_pending_requests();
        if self.wants_online && !final_ && self.config.reconnect.enabled {
            let delay = self.backoff_delay();
            self.reconnect_attempt += 1;
            let at = now + delay;
            self.reconnect_at = Some(at);
            self.events.push_back(Event::ReconnectScheduled {
                at: now,
                attempt_at: at,
                attempt: self.reconnect_attempt,
            });
            self.set_state(ConnState::Reconnecting { at }, now);
        } else {
            if final_ {
                self.wants_online = false;
            }
            self.set_state(ConnState::Disconnected, now);
        }
    }

    /// Per-connection state that dies with a socket: pending SUBACKs, withheld acks.
    fn forget_socket(&mut self, socket: SocketId) {
        self.held.retain(|(s, _), _| *s != socket);
    }

    /// SUBACKs and UNSUBACKs still awaited die with the live connection; their ids are free
    /// again (subscriptions are sent again on the next connect).
    fn abandon_pending_requests(&mut self) {
        let ids: Vec<u16> = self
            .pending_subacks
            .keys()
            .chain(self.pending_unsubacks.keys())
            .copied()
            .collect();
        for id in ids {
            self.ids.release(id);
        }
        self.pending_subacks.clear();
        self.pending_unsubacks.clear();
    }

    fn report_silent_close(&mut self, conn: &Connection, now: Millis) {
        let silent_since = conn.silent_since.unwrap_or(now);
        self.events.push_back(Event::SilentConnectionClosed {
            at: now,
            socket: conn.socket,
            predicted_at: conn.last_sent_at + self.config.broker_grace_ms(),
            silent_since,
        });
    }

    /// Exponential backoff, capped, with +-25% jitter so that many devices do not retry in step.
    fn backoff_delay(&mut self) -> Millis {
        let p = &self.config.reconnect;
        let exp = p
            .initial_delay_ms
            .saturating_mul(1u64 << self.reconnect_attempt.min(20));
        let base = exp.min(p.max_delay_ms).max(1);
        // xorshift64*: deterministic from the seed.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % 1000;
        base * (750 + r / 2) / 1000
    }

    pub(crate) fn set_state(&mut self, state: ConnState, now: Millis) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::State { at: now, state });
        }
    }

    pub(crate) fn push_action_close(&mut self, socket: SocketId) {
        self.actions.push_back(Action::Close { socket });
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    pub(crate) fn connected(&mut self, socket: SocketId, session_present: bool, now: Millis) {
        if let Some(conn) = self.current.as_mut().filter(|c| c.socket == socket) {
            conn.phase = Phase::Connected { connack_at: now };
            conn.replay_burst_until = if session_present {
                now + REPLAY_QUIET_MS
            } else {
                0
            };
        }
        self.session_present = Some(session_present);
        self.reconnect_attempt = 0;
        self.events.push_back(Event::Connected {
            at: now,
            session_present,
            clean_session: self.config.clean_session,
            client_id: self.config.client_id.clone(),
        });
        self.set_state(ConnState::Connected, now);
        self.resume(socket, session_present, now);
    }
}

fn check_qos(qos: Qos) -> Result<(), CommandError> {
    if qos > 2 {
        Err(CommandError::Qos(qos))
    } else {
        Ok(())
    }
}

pub(crate) fn qos_level(qos: Qos) -> QualityOfService {
    match qos {
        0 => QualityOfService::Level0,
        1 => QualityOfService::Level1,
        _ => QualityOfService::Level2,
    }
}

fn build_publish(
    topic: &str,
    qos: Qos,
    id: u16,
    retain: bool,
    dup: bool,
    payload: Vec<u8>,
) -> Result<PublishPacket, CommandError> {
    let name = TopicName::new(topic.to_string())
        .map_err(|_| CommandError::Topic(TopicError::WildcardInName))?;
    let q = match qos {
        0 => QoSWithPacketIdentifier::Level0,
        1 => QoSWithPacketIdentifier::Level1(id),
        _ => QoSWithPacketIdentifier::Level2(id),
    };
    let mut packet = PublishPacket::new(name, q, payload);
    packet.set_retain(retain);
    packet.set_dup(dup);
    Ok(packet)
}

#[cfg(test)]
mod tests;
