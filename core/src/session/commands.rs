//! What the user asks of the session: connect, disconnect, drop, go silent, subscribe,
//! publish, ack.

use super::outgoing::{build_publish, QueuedPublish};
use super::{
    CloseReason, CommandError, ConnState, Event, Qos, Session, SessionConfig, Subscription,
};
use crate::time::Millis;
use crate::topic::{validate_filter, validate_name, TopicError};
use mqtt::packet::{DisconnectPacket, UnsubscribePacket, VariablePacket};
use mqtt::TopicFilter;

pub(crate) fn check_qos(qos: Qos) -> Result<(), CommandError> {
    if qos > 2 {
        Err(CommandError::Qos(qos))
    } else {
        Ok(())
    }
}

impl Session {
    /// Opens a new connection with the current settings. While silent, this is a device
    /// back on the network: the old socket stays open until the broker closes it
    /// (session takeover), and keeps the settings it was opened with.
    pub fn connect(&mut self, now: Millis) -> Result<(), CommandError> {
        let config = self.config.clone();
        self.connect_with(config, now)
    }

    /// Opens a new connection with `config`, which becomes the settings of this and later
    /// connections only if the connect is allowed; a refused connect changes nothing.
    pub fn connect_with(&mut self, config: SessionConfig, now: Millis) -> Result<(), CommandError> {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.silent_since.is_none())
        {
            return Err(CommandError::AlreadyConnected);
        }
        if config.client_id.is_empty() && !config.clean_session {
            return Err(CommandError::EmptyClientIdNeedsCleanSession);
        }
        if config.seed != self.config.seed {
            // Each device jitters its own way: the seed comes with the settings.
            self.reseed(config.seed);
        }
        self.config = config;
        self.wants_online = true;
        // The user tries again: the backoff and the failure count start afresh.
        self.reconnect_attempt = 0;
        self.failure_streak = None;
        // A user's connect replaces a scheduled automatic one.
        self.reconnect_at = None;
        self.open_connection(now);
        Ok(())
    }

    /// Sends DISCONNECT and closes: the broker discards the will.
    pub fn disconnect(&mut self, now: Millis) {
        self.wants_online = false;
        self.reconnect_at = None;
        if let Some(socket) = self.live_socket() {
            self.send_packet(
                socket,
                &VariablePacket::DisconnectPacket(DisconnectPacket::new()),
                now,
            );
        }
        self.close_current(now, CloseReason::UserDisconnect);
    }

    /// Closes the socket without DISCONNECT: the broker sees the close at once and publishes the will.
    pub fn drop_connection(&mut self, now: Millis) {
        self.wants_online = false;
        self.reconnect_at = None;
        self.close_current(now, CloseReason::UserDrop);
        if let Some(dead) = self.dead.take() {
            self.push_action_close(dead.socket);
            self.forget_socket(dead.socket);
        }
    }

    /// Keeps the socket open but sends nothing more, as a device whose network died.
    pub fn go_silent(&mut self, now: Millis) -> Result<(), CommandError> {
        if !self.current.as_ref().is_some_and(|c| c.is_live()) {
            return Err(CommandError::NotConnected);
        }
        self.wants_online = false;
        self.silence_current(now);
        Ok(())
    }

    /// The browser lost the network: the live connection is silent from now (the broker
    /// cannot hear it), a scheduled reconnect waits for the network; the device still
    /// wants to be online.
    pub fn network_down(&mut self, now: Millis) {
        self.push_event(Event::NetworkDown { at: now });
        if self.current.as_ref().is_some_and(|c| c.is_live()) {
            self.silence_current(now);
        }
        self.reconnect_at = None;
        if matches!(self.state, ConnState::Reconnecting { .. }) {
            self.set_state(ConnState::Disconnected, now);
        }
    }

    /// The browser has the network again: a device that wants to be online connects at
    /// once, without waiting out the backoff; a silent socket left open is taken over.
    pub fn network_up(&mut self, now: Millis) {
        self.push_event(Event::NetworkUp { at: now });
        let live = self
            .current
            .as_ref()
            .is_some_and(|c| c.silent_since.is_none());
        if self.wants_online && !live {
            self.reconnect_attempt = 0;
            self.reconnect_at = None;
            self.open_connection(now);
        }
    }

    /// The live connection stops sending: its acks withheld so far will never be sent.
    fn silence_current(&mut self, now: Millis) {
        let Some(conn) = self.current.as_mut() else {
            return;
        };
        conn.silent_since = Some(now);
        conn.ping_sent_at = None;
        self.offline_since = Some(now);
        self.reconnect_at = None;
        // Acks withheld so far will never be sent now: they become dead deliveries.
        for h in self.held.values_mut() {
            h.dead = true;
        }
        self.set_state(ConnState::Silent, now);
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
                let f =
                    TopicFilter::new(filter).map_err(|_| CommandError::Topic(TopicError::Empty))?;
                let id = self.ids.allocate().ok_or(CommandError::NoFreePacketId)?;
                self.pending_unsubacks.insert(id, vec![filter.to_string()]);
                self.send_packet(socket, &UnsubscribePacket::new(id, vec![f]).into(), now);
            }
            None => {
                self.subscriptions.retain(|s| s.filter != filter);
                self.push_event(Event::Unsubscribed {
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
        // A live switch, not a connection setting: it applies to the socket at hand.
        self.config.manual_ack = on;
        if on {
            return;
        }
        let Some(socket) = self.live_socket() else {
            return;
        };
        let withheld: Vec<(u16, Qos)> = self
            .held
            .iter()
            .filter(|((s, _), _)| *s == socket)
            .map(|((_, id), h)| (*id, h.qos))
            .collect();
        for (id, qos) in withheld {
            self.held.remove(&(socket, id));
            self.send_ack(socket, qos, id, now);
        }
    }
}
