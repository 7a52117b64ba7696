//! The session state machine: a quinn-shaped, sans-IO MQTT 3.1.1 client.
//!
//! Inputs: commands (`connect`, `publish`, `start_probe_series`, ...) and
//! `handle_socket_open`, `handle_bytes`, `handle_socket_closed`, `handle_timeout`, each
//! with `now`. Outputs, drained after every input in this order: `poll_action` (socket
//! I/O), `poll_event` (what to show), then `poll_timeout` (when to call `handle_timeout`).
//!
//! Files: `commands` (what the user asks), `sockets` and `incoming` (what the network
//! says), `outgoing` (the publish flow and session resume), `timers` (every deadline),
//! `probe_series`, `views` (read-only rows for the page), `connection` (one socket).

mod commands;
mod config;
mod connection;
mod error;
mod events;
mod incoming;
mod outgoing;
mod packet_ids;
mod probe_series;
mod sockets;
mod timers;
mod views;

pub use config::{ProtocolVersion, Qos, ReconnectPolicy, SessionConfig, Will};
pub use error::CommandError;
pub use events::{
    qos2_puback_text, Action, CloseReason, ConnState, ConnackRefusal, Direction, Event,
    IncomingMessage, PacketRecord, SocketId,
};
pub use packet_ids::PacketIds;
pub use probe_series::ProbeSeriesProgress;
pub use views::{BrokerNotice, InflightKind, InflightRow, SessionView, SubscriptionRow};

use crate::framing::{describe, encode};
use crate::probe::ProbeTracker;
use crate::time::Millis;
use connection::{Connection, Phase};
use mqtt::packet::{ConnectPacket, VariablePacket};
use mqtt::TopicName;
use outgoing::{OutgoingPublish, QueuedPublish};
use probe_series::ProbeSeriesRun;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A connection that stayed up this long after CONNACK counts as healthy: the backoff
/// starts again from its first step. Design: resetting at CONNACK instead would turn a
/// broker that accepts and then fails (a poison message, a protocol error) into a
/// reconnect every second, forever.
const STABLE_CONNECTION_MS: Millis = 30_000;
/// A connection closed by the broker or the network (not a protocol failure) that lasted
/// this long after CONNACK also restarts the backoff: a flapping network must not push a
/// device to the 30 s ceiling while each of its connections works.
const STABLE_AFTER_NETWORK_CLOSE_MS: Millis = 2_000;
/// The same protocol failure this many times in a row stops automatic reconnects.
pub const MAX_IDENTICAL_FAILURES: u32 = 5;

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
    /// The settings the next connection opens with; each connection keeps its own copy.
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
    pub(crate) probe_series: Option<ProbeSeriesRun>,
    pub(crate) session_present: Option<bool>,
    /// When the device last stopped being online (a connected socket ended or went silent).
    pub(crate) offline_since: Option<Millis>,
    pub(crate) last_rtt_ms: Option<Millis>,
    /// The user wants this device online: reconnect after an unexpected loss.
    pub(crate) wants_online: bool,
    pub(crate) reconnect_attempt: u32,
    pub(crate) reconnect_at: Option<Millis>,
    /// CONNACK time of the live connection, to tell a healthy one from a failing one.
    last_connack_at: Option<Millis>,
    /// The last protocol failure and how many times in a row it ended a connection.
    failure_streak: Option<(CloseReason, u32)>,
    rng: u64,
    actions: VecDeque<Action>,
    pub(crate) events: VecDeque<Event>,
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
            probe_series: None,
            session_present: None,
            offline_since: None,
            last_rtt_ms: None,
            wants_online: false,
            reconnect_attempt: 0,
            reconnect_at: None,
            last_connack_at: None,
            failure_streak: None,
            rng,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The settings the next connection opens with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
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

    // ---- connection lifecycle -----------------------------------------------------------

    /// The socket of a connected, non-silent connection.
    pub(crate) fn live_socket(&self) -> Option<SocketId> {
        self.current
            .as_ref()
            .filter(|c| c.is_live())
            .map(|c| c.socket)
    }

    /// The connection on `socket`, live or dead.
    pub(crate) fn connection(&self, socket: SocketId) -> Option<&Connection> {
        [self.current.as_ref(), self.dead.as_ref()]
            .into_iter()
            .flatten()
            .find(|c| c.socket == socket)
    }

    pub(crate) fn connection_mut(&mut self, socket: SocketId) -> Option<&mut Connection> {
        [self.current.as_mut(), self.dead.as_mut()]
            .into_iter()
            .flatten()
            .find(|c| c.socket == socket)
    }

    pub(crate) fn open_connection(&mut self, now: Millis) {
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
        let url = self.config.url.clone();
        self.current = Some(Connection::new(socket, self.config.clone(), now));
        self.actions.push_back(Action::Open { socket, url });
        self.set_state(ConnState::Connecting, now);
    }

    fn build_connect(c: &SessionConfig) -> Result<ConnectPacket, String> {
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
    fn masked_connect_bytes(connect: &ConnectPacket) -> Vec<u8> {
        let mut masked = connect.clone();
        if let Some(pw) = connect.password() {
            masked.set_password(Some("*".repeat(pw.len())));
        }
        encode(&masked).unwrap_or_default()
    }

    /// Sends CONNECT on a socket that just opened.
    pub(crate) fn send_connect(&mut self, socket: SocketId, now: Millis) {
        let Some(conn) = self.current.as_mut().filter(|c| c.socket == socket) else {
            return;
        };
        conn.phase = Phase::AwaitingConnack {
            deadline: now + conn.settings.connack_timeout_ms,
        };
        conn.connect_sent_at = now;
        match Self::build_connect(&conn.settings) {
            Ok(connect) => {
                let masked = Self::masked_connect_bytes(&connect);
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

    /// Ends the current connection because of `reason` and closes its socket.
    pub(crate) fn fail_current(&mut self, now: Millis, reason: CloseReason) {
        if let Some(conn) = self.current.take() {
            self.went_offline(&conn, now);
            self.actions.push_back(Action::Close {
                socket: conn.socket,
            });
            let refused = matches!(&reason, CloseReason::Refused(r) if r.is_final());
            self.connection_ended(conn.socket, now, reason, refused);
        }
    }

    pub(crate) fn close_current(&mut self, now: Millis, reason: CloseReason) {
        if let Some(conn) = self.current.take() {
            self.went_offline(&conn, now);
            self.actions.push_back(Action::Close {
                socket: conn.socket,
            });
            self.connection_ended(conn.socket, now, reason, true);
        } else {
            self.set_state(ConnState::Disconnected, now);
        }
    }

    pub(crate) fn connection_ended(
        &mut self,
        socket: SocketId,
        now: Millis,
        reason: CloseReason,
        final_: bool,
    ) {
        let stable_after = if reason.is_protocol_failure() {
            STABLE_CONNECTION_MS
        } else {
            STABLE_AFTER_NETWORK_CLOSE_MS
        };
        if self
            .last_connack_at
            .take()
            .is_some_and(|t| now.saturating_sub(t) >= stable_after)
        {
            self.reconnect_attempt = 0;
            self.failure_streak = None;
        }
        let mut final_ = final_;
        if reason.is_protocol_failure() {
            let count = match self.failure_streak.take() {
                Some((last, n)) if last == reason => n + 1,
                _ => 1,
            };
            self.failure_streak = Some((reason.clone(), count));
            if count >= MAX_IDENTICAL_FAILURES && self.wants_online {
                final_ = true;
                self.events.push_back(Event::ReconnectStopped {
                    at: now,
                    reason: reason.clone(),
                    failures: count,
                });
            }
        }
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

    /// A connection ends: if the device was online on it, it is offline from now (or from
    /// when it went silent). Verdicts compare probe send times with this.
    pub(crate) fn went_offline(&mut self, conn: &Connection, now: Millis) {
        if conn.connack_at().is_some() {
            self.offline_since = Some(conn.silent_since.unwrap_or(now));
        }
    }

    /// Per-connection state that dies with a socket: withheld acks.
    pub(crate) fn forget_socket(&mut self, socket: SocketId) {
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

    pub(crate) fn report_silent_close(&mut self, conn: &Connection, now: Millis) {
        let silent_since = conn.silent_since.unwrap_or(now);
        let taken_over = self.current.as_ref().is_some_and(|c| {
            c.socket != conn.socket
                && c.phase != Phase::Opening
                && c.settings.client_id == conn.settings.client_id
        });
        self.events.push_back(Event::SilentConnectionClosed {
            at: now,
            socket: conn.socket,
            predicted_at: conn.broker_notice_at(),
            silent_since,
            taken_over,
        });
    }

    pub(crate) fn reseed(&mut self, seed: u64) {
        self.rng = seed | 1;
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

    /// CONNACK 0 on the current connection: report it with the settings it was opened
    /// with, then resume the session.
    pub(crate) fn connected(&mut self, socket: SocketId, session_present: bool, now: Millis) {
        let Some(conn) = self.current.as_mut().filter(|c| c.socket == socket) else {
            return;
        };
        conn.phase = Phase::Connected { connack_at: now };
        conn.start_replay(session_present, now);
        conn.away_since = self.offline_since;
        let (clean_session, client_id) =
            (conn.settings.clean_session, conn.settings.client_id.clone());
        self.session_present = Some(session_present);
        self.last_connack_at = Some(now);
        self.events.push_back(Event::Connected {
            at: now,
            session_present,
            clean_session,
            client_id,
        });
        self.set_state(ConnState::Connected, now);
        self.resume(socket, session_present, now);
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_qos2_puback;
