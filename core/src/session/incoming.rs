//! Packets from the broker: how each one moves the session.

use super::connection::Phase;
use super::outgoing::OutStage;
use super::{
    CloseReason, ConnackRefusal, Direction, Event, HeldDelivery, IncomingMessage, PacketRecord,
    Session, SocketId,
};
use crate::framing::{describe, dup_flag, Frame};
use crate::probe::Probe;
use crate::time::Millis;
use crate::verdicts::{classify, Observation};
use mqtt::packet::suback::SubscribeReturnCode;
use mqtt::packet::{PubcompPacket, PublishPacket, VariablePacket};

/// Dead deliveries remembered for linking redeliveries back to them.
const MAX_DEAD_DELIVERIES: usize = 10_000;

impl Session {
    /// The broker's ack timeout (from the profile the connection on `socket` was opened
    /// with): after it, an unacknowledged delivery counts as undelivered.
    fn broker_ack_timeout(&self, socket: SocketId) -> Millis {
        self.connection(socket)
            .map_or(&self.config, |c| &c.settings)
            .profile
            .ack_timeout_ms
    }

    /// Bytes of one WebSocket message from `socket`.
    pub fn handle_bytes(&mut self, socket: SocketId, bytes: &[u8], now: Millis) {
        let Some(conn) = self.connection_mut(socket) else {
            return;
        };
        conn.last_received_at = now;
        conn.framer.push(bytes);
        loop {
            let next = self.connection_mut(socket).map(|c| c.framer.next_frame());
            match next {
                Some(Ok(Some(frame))) => self.handle_frame(socket, frame, now),
                Some(Err(e)) => {
                    self.protocol_failure(socket, now, CloseReason::Protocol(e));
                    return;
                }
                _ => return,
            }
        }
    }

    fn protocol_failure(&mut self, socket: SocketId, now: Millis, reason: CloseReason) {
        if self.current.as_ref().is_some_and(|c| c.socket == socket) {
            self.fail_current(now, reason);
        } else if let Some(dead) = self.dead.take() {
            self.push_event(Event::Closed {
                at: now,
                socket: dead.socket,
                reason,
            });
            self.push_action_close(dead.socket);
        }
    }

    fn handle_frame(&mut self, socket: SocketId, frame: Frame, now: Millis) {
        self.push_event(Event::Packet(PacketRecord {
            at: now,
            direction: Direction::In,
            socket,
            summary: describe(&frame.packet, &frame.raw),
            raw: frame.raw.clone(),
        }));
        let is_dead = self.dead.as_ref().is_some_and(|c| c.socket == socket)
            || self
                .current
                .as_ref()
                .is_some_and(|c| c.socket == socket && c.silent_since.is_some());
        if is_dead {
            // A silent device answers nothing; it only records what was pushed into it.
            if let VariablePacket::PublishPacket(p) = frame.packet {
                self.record_dead_delivery(socket, p, dup_flag(&frame.raw), now);
            }
            return;
        }
        let phase = self.current.as_ref().map(|c| c.phase);
        match (phase, frame.packet) {
            (Some(Phase::AwaitingConnack { .. }), VariablePacket::ConnackPacket(p)) => {
                let code = p.connect_return_code().to_u8();
                match ConnackRefusal::from_code(code) {
                    None => self.connected(socket, p.connack_flags().session_present, now),
                    Some(refusal) => {
                        self.push_event(Event::Refused { at: now, refusal });
                        self.fail_current(now, CloseReason::Refused(refusal));
                    }
                }
            }
            (Some(Phase::Connected { connack_at }), VariablePacket::PublishPacket(p)) => {
                self.handle_publish(socket, p, dup_flag(&frame.raw), connack_at, now)
            }
            (Some(Phase::Connected { .. }), VariablePacket::PubackPacket(p)) => {
                self.puback_received(p.packet_identifier(), now)
            }
            (Some(Phase::Connected { .. }), VariablePacket::PubrecPacket(p)) => {
                self.outgoing_received(socket, p.packet_identifier(), now)
            }
            (Some(Phase::Connected { .. }), VariablePacket::PubcompPacket(p)) => {
                self.finish_outgoing(p.packet_identifier(), OutStage::Pubcomp, now)
            }
            (Some(Phase::Connected { .. }), VariablePacket::PubrelPacket(p)) => {
                let id = p.packet_identifier();
                self.awaiting_pubrel.remove(&id);
                self.send_packet(socket, &PubcompPacket::new(id).into(), now);
            }
            (Some(Phase::Connected { .. }), VariablePacket::SubackPacket(p)) => {
                let id = p.packet_identifier();
                // Only an id we are waiting on is freed: a stray SUBACK must not release the
                // id of an in-flight PUBLISH.
                let filters = self.pending_subacks.remove(&id).unwrap_or_default();
                if !filters.is_empty() {
                    self.ids.release(id);
                }
                if !filters.is_empty() && filters.len() != p.subscribes().len() {
                    // A subscription without its answer would wait forever.
                    let reason = CloseReason::SubackMismatch {
                        filters: filters.len(),
                        codes: p.subscribes().len(),
                    };
                    self.fail_current(now, reason);
                    return;
                }
                for (filter, code) in filters.iter().zip(p.subscribes()) {
                    let granted = match code {
                        SubscribeReturnCode::MaximumQoSLevel0 => Some(0),
                        SubscribeReturnCode::MaximumQoSLevel1 => Some(1),
                        SubscribeReturnCode::MaximumQoSLevel2 => Some(2),
                        SubscribeReturnCode::Failure => None,
                    };
                    let mut requested = 0;
                    if let Some(s) = self.subscriptions.iter_mut().find(|s| &s.filter == filter) {
                        s.granted = granted;
                        s.failed = granted.is_none();
                        s.pending = false;
                        requested = s.requested;
                    }
                    self.push_event(Event::Subscribed {
                        at: now,
                        filter: filter.clone(),
                        requested,
                        granted,
                    });
                }
            }
            (Some(Phase::Connected { .. }), VariablePacket::UnsubackPacket(p)) => {
                let id = p.packet_identifier();
                let filters = self.pending_unsubacks.remove(&id).unwrap_or_default();
                if !filters.is_empty() {
                    self.ids.release(id);
                }
                for filter in filters {
                    self.subscriptions.retain(|s| s.filter != filter);
                    self.push_event(Event::Unsubscribed { at: now, filter });
                }
            }
            (Some(Phase::Connected { .. }), VariablePacket::PingrespPacket(_)) => {
                if let Some(sent) = self.current.as_mut().and_then(|c| c.ping_sent_at.take()) {
                    let rtt = now.saturating_sub(sent);
                    self.last_rtt_ms = Some(rtt);
                    self.push_event(Event::PingRoundTrip {
                        at: now,
                        rtt_ms: rtt,
                    });
                }
            }
            (_, other) => {
                let name = describe(&other, &frame.raw).kind.as_str();
                self.fail_current(now, CloseReason::UnexpectedPacket(name.to_string()));
            }
        }
    }

    fn observe(
        &mut self,
        p: &PublishPacket,
        dup: bool,
        connack_at: Millis,
        now: Millis,
        qos2_repeat: bool,
    ) -> Observation {
        let probe = Probe::parse(p.payload());
        // A QoS 2 resend before PUBREL is the same delivery: not counted twice.
        let probe_seen_before = !qos2_repeat
            && probe
                .as_ref()
                .is_some_and(|pr| self.probes.record(&pr.series, pr.seq));
        // A plain payload (a heartbeat "on") repeats by nature: only a DUP=1 copy is linked
        // to one pushed into a dead connection. A probe is unique by its header.
        let key = (dup || probe.is_some())
            .then(|| delivery_key(p.topic_name(), p.payload(), probe.as_ref()));
        let dead_delivery_at = key.as_ref().and_then(|key| {
            self.dead_deliveries
                .iter()
                .position(|(k, _)| k == key)
                .map(|i| self.dead_deliveries.remove(i).1)
        });
        let (qos, id) = p.qos().split();
        let hash = delivery_hash(p.topic_name(), p.payload(), key.as_deref());
        let (in_replay_burst, away_since, delivered_before_on_connection) =
            match self.current.as_mut() {
                Some(c) => {
                    let before = p.retain() && c.delivered_before(hash);
                    if !p.retain() {
                        c.remember_delivery(hash);
                    }
                    (c.inside_replay_burst(now), c.away_since, before)
                }
                None => (false, None, false),
            };
        Observation {
            dup,
            retain: p.retain(),
            received_at: now,
            probe: probe.map(|pr| (pr.series, pr.seq, pr.sent_at)),
            probe_seen_before,
            qos2_repeat_of: if qos2_repeat { id } else { None },
            dead_delivery_at,
            connack_at,
            in_replay_burst,
            qos: crate::framing::qos_number(qos),
            away_since,
            delivered_before_on_connection,
        }
    }

    fn handle_publish(
        &mut self,
        socket: SocketId,
        p: PublishPacket,
        dup: bool,
        connack_at: Millis,
        now: Millis,
    ) {
        let (qos, id) = p.qos().split();
        let qos = crate::framing::qos_number(qos);
        let qos2_repeat = qos == 2 && id.is_some_and(|i| self.awaiting_pubrel.contains(&i));
        // A new PUBLISH (DUP=0) with an id still unacknowledged on this connection: the
        // broker reused an id in flight (mosquitto 2.0.11 past 65,535 queued messages).
        let id_in_flight = id.is_some_and(|i| {
            self.held.contains_key(&(socket, i)) || (qos == 2 && self.awaiting_pubrel.contains(&i))
        });
        if !dup && id_in_flight {
            if let Some(packet_id) = id {
                self.push_event(Event::PacketIdReused { at: now, packet_id });
            }
        }
        let obs = self.observe(&p, dup, connack_at, now, qos2_repeat);
        let verdict = classify(&obs);
        if let Some(id) = id {
            if self.config.manual_ack && !qos2_repeat {
                self.held.insert(
                    (socket, id),
                    HeldDelivery {
                        qos,
                        topic: p.topic_name().to_string(),
                        received_at: now,
                        broker_deadline: now + self.broker_ack_timeout(socket),
                        overdue: false,
                        dead: false,
                    },
                );
            } else {
                self.send_ack(socket, qos, id, now);
            }
        }
        let message = IncomingMessage {
            at: now,
            socket,
            topic: p.topic_name().to_string(),
            payload: p.payload().to_vec(),
            qos,
            dup,
            retain: p.retain(),
            packet_id: id,
            probe: obs.probe,
            verdict,
            into_dead_connection: false,
        };
        self.push_event(Event::Message(message));
    }

    fn record_dead_delivery(&mut self, socket: SocketId, p: PublishPacket, dup: bool, now: Millis) {
        let (qos, id) = p.qos().split();
        let qos = crate::framing::qos_number(qos);
        let connack_at = self
            .connection(socket)
            .and_then(|c| c.connack_at())
            .unwrap_or(0);
        let (obs, key) = {
            let probe = Probe::parse(p.payload());
            let key = delivery_key(p.topic_name(), p.payload(), probe.as_ref());
            let obs = Observation {
                dup,
                retain: p.retain(),
                received_at: now,
                probe: probe.map(|pr| (pr.series, pr.seq, pr.sent_at)),
                connack_at,
                ..Default::default()
            };
            (obs, key)
        };
        if let Some(id) = id {
            // Bounded: deliveries never redelivered must not slow every later message down.
            if self.dead_deliveries.len() >= MAX_DEAD_DELIVERIES {
                self.dead_deliveries.remove(0);
            }
            self.dead_deliveries.push((key, now));
            self.held.insert(
                (socket, id),
                HeldDelivery {
                    qos,
                    topic: p.topic_name().to_string(),
                    received_at: now,
                    broker_deadline: now + self.broker_ack_timeout(socket),
                    overdue: false,
                    dead: true,
                },
            );
        }
        let verdict = classify(&obs);
        self.push_event(Event::Message(IncomingMessage {
            at: now,
            socket,
            topic: p.topic_name().to_string(),
            payload: p.payload().to_vec(),
            qos,
            dup,
            retain: p.retain(),
            packet_id: id,
            probe: obs.probe,
            verdict,
            into_dead_connection: true,
        }));
    }
}

/// The hash of [`delivery_key`]: of `key` where it was made (a DUP or probe message), else
/// of a plain message's topic and payload where they lie, which hashes the same as its key
/// (a copy of topic and payload for every message received was 7 % of the session's time
/// per message in a drain).
fn delivery_hash(topic: &str, payload: &[u8], key: Option<&[u8]>) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match key {
        Some(k) => h.write(k),
        None => {
            h.write(topic.as_bytes());
            h.write_u8(0);
            h.write(payload);
        }
    }
    h.finish()
}

/// What identifies "the same message" across deliveries: the probe (series, seq), else
/// topic and payload.
fn delivery_key(topic: &str, payload: &[u8], probe: Option<&Probe>) -> Vec<u8> {
    match probe {
        Some(p) => format!("probe {} {}", p.series, p.seq).into_bytes(),
        None => {
            let mut k = topic.as_bytes().to_vec();
            k.push(0);
            k.extend_from_slice(payload);
            k
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{delivery_hash, delivery_key};

    #[test]
    fn a_plain_message_hashes_the_same_with_or_without_its_key() {
        // A retained message seen first as a plain delivery and again as a DUP copy (whose
        // key is made for the dead-delivery lookup) must be recognised as the same.
        let key = delivery_key("t/1", b"on", None);
        assert_eq!(
            delivery_hash("t/1", b"on", None),
            delivery_hash("t/1", b"on", Some(&key))
        );
        assert_ne!(
            delivery_hash("t/1", b"on", None),
            delivery_hash("t/1o", b"n", None)
        );
    }
}
