//! The outgoing publish flow: the inflight window and its queue, acks, and what happens to
//! unacknowledged messages and subscriptions when a session resumes.

use super::{Event, Qos, Session, SocketId};
use crate::session::CommandError;
use crate::time::Millis;
use crate::topic::TopicError;
use mqtt::packet::{
    PubackPacket, PublishPacket, PubrecPacket, PubrelPacket, QoSWithPacketIdentifier,
    SubscribePacket, VariablePacket,
};
use mqtt::{QualityOfService, TopicFilter, TopicName};

/// The ack an outgoing QoS>0 message waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Session {
    pub(crate) fn send_new_publish(&mut self, socket: SocketId, q: QueuedPublish, now: Millis) {
        let packet = match build_publish(&q.topic, q.qos, q.id, q.retain, false, q.payload.clone())
        {
            Ok(packet) => packet,
            Err(error) => {
                // Topics are validated before an id is handed out; should one still fail,
                // the page says so rather than losing a message that was accepted.
                self.ids.release(q.id);
                self.push_event(Event::NotSent {
                    at: now,
                    what: format!("PUBLISH {} (packet id {})", q.topic, q.id),
                    error,
                });
                return;
            }
        };
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

    /// An ack for an outgoing message: done when it is the step awaited.
    pub(crate) fn finish_outgoing(&mut self, id: u16, expected: OutStage, now: Millis) {
        let matches = self.outgoing.get(&id).is_some_and(|o| o.stage == expected);
        if !matches {
            return;
        }
        if let Some(o) = self.outgoing.remove(&id) {
            self.ids.release(id);
            self.push_event(Event::Delivered {
                at: now,
                packet_id: id,
                after_ms: now.saturating_sub(o.sent_at),
            });
        }
        self.drain_queue(now);
    }

    /// PUBACK: completes a QoS 1 publish. For a QoS 2 publish still waiting for its PUBREC
    /// it is the broker's downgrade to QoS 1 (RabbitMQ 3.10): waiting on for a PUBREC that
    /// never comes would hold the packet id and the inflight window forever, so the message
    /// is done, and the page says why.
    pub(crate) fn puback_received(&mut self, id: u16, now: Millis) {
        let downgraded = self.outgoing.get_mut(&id).and_then(|o| {
            (o.stage == OutStage::Pubrec).then(|| {
                o.stage = OutStage::Puback;
                o.topic.clone()
            })
        });
        if let Some(topic) = downgraded {
            self.push_event(Event::Qos2AnsweredWithPuback {
                at: now,
                packet_id: id,
                topic,
            });
        }
        self.finish_outgoing(id, OutStage::Puback, now);
    }

    /// PUBREC for an outgoing QoS 2 message: answer PUBREL, wait for PUBCOMP.
    pub(crate) fn outgoing_received(&mut self, socket: SocketId, id: u16, now: Millis) {
        if let Some(o) = self.outgoing.get_mut(&id) {
            o.stage = OutStage::Pubcomp;
        }
        self.send_packet(socket, &PubrelPacket::new(id).into(), now);
    }

    pub(crate) fn send_ack(&mut self, socket: SocketId, qos: Qos, id: u16, now: Millis) {
        if qos == 2 {
            self.awaiting_pubrel.insert(id);
            self.send_packet(socket, &PubrecPacket::new(id).into(), now);
        } else {
            self.send_packet(socket, &PubackPacket::new(id).into(), now);
        }
    }

    pub(crate) fn send_subscribe(
        &mut self,
        socket: SocketId,
        filters: &[(String, Qos)],
        now: Millis,
    ) -> Result<(), CommandError> {
        let mut list = Vec::new();
        for (f, q) in filters {
            let filter =
                TopicFilter::new(f.clone()).map_err(|_| CommandError::Topic(TopicError::Empty))?;
            list.push((filter, qos_level(*q)));
        }
        let id = self.ids.allocate().ok_or(CommandError::NoFreePacketId)?;
        self.pending_subacks
            .insert(id, filters.iter().map(|(f, _)| f.clone()).collect());
        self.send_packet(socket, &SubscribePacket::new(id, list).into(), now);
        Ok(())
    }

    /// After CONNACK 0: resend or abandon what was in flight, then resubscribe.
    pub(crate) fn resume(&mut self, socket: SocketId, session_present: bool, now: Millis) {
        let ids: Vec<u16> = self.outgoing.keys().copied().collect();
        if !ids.is_empty() {
            if session_present {
                self.resend_inflight(socket, &ids, now);
            } else {
                for id in &ids {
                    self.outgoing.remove(id);
                    self.ids.release(*id);
                }
                self.push_event(Event::Abandoned {
                    at: now,
                    packet_ids: ids,
                });
            }
        }
        if !session_present {
            // The broker forgot the QoS 2 ids we were waiting on, and what it pushed into a
            // dead connection: nothing of it can come back now.
            self.awaiting_pubrel.clear();
            self.dead_deliveries.clear();
        }
        let resubscribe = self
            .connection(socket)
            .is_some_and(|c| c.settings.resubscribe_on_connect);
        let to_send: Vec<(String, Qos)> = self
            .subscriptions
            .iter()
            .filter(|s| resubscribe || s.pending)
            .map(|s| (s.filter.clone(), s.requested))
            .collect();
        for (filter, qos) in to_send {
            if let Some(s) = self.subscriptions.iter_mut().find(|s| s.filter == filter) {
                s.pending = true;
            }
            if let Err(error) = self.send_subscribe(socket, &[(filter.clone(), qos)], now) {
                self.push_event(Event::NotSent {
                    at: now,
                    what: format!("SUBSCRIBE {filter}"),
                    error,
                });
            }
        }
        self.drain_queue(now);
    }

    /// Sends again, with DUP=1 (or as PUBREL once PUBREC came), every unacknowledged message.
    fn resend_inflight(&mut self, socket: SocketId, ids: &[u16], now: Millis) {
        for id in ids {
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
                    Err(error) => {
                        self.push_event(Event::NotSent {
                            at: now,
                            what: format!("PUBLISH {} (packet id {id}, DUP)", o.topic),
                            error,
                        });
                        continue;
                    }
                }
            };
            self.send_packet(socket, &packet, now);
        }
        self.push_event(Event::Resent {
            at: now,
            packet_ids: ids.to_vec(),
        });
    }
}

pub(crate) fn qos_level(qos: Qos) -> QualityOfService {
    match qos {
        0 => QualityOfService::Level0,
        1 => QualityOfService::Level1,
        _ => QualityOfService::Level2,
    }
}

pub(crate) fn build_publish(
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
