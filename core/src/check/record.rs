//! What a check observed: the session events of its connections, numbered in the order they
//! happened, and a bounded trace of the packets for the evidence.

use super::steps::Role;
use crate::framing::PacketKind;
use crate::session::{CloseReason, Direction, Event, Qos};
use crate::time::Millis;

/// Packet lines kept per check for the evidence (the rest are counted).
pub const TRACE_LINES: usize = 60;

/// How a connect ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectResult {
    Accepted {
        session_present: bool,
    },
    Refused {
        code: u8,
    },
    /// Closed (or failed to open) before any CONNACK.
    Failed(CloseReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectObs {
    pub seq: u64,
    pub at: Millis,
    pub result: ConnectResult,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubackObs {
    pub seq: u64,
    pub at: Millis,
    pub filter: String,
    /// `None`: failure (0x80).
    pub granted: Option<Qos>,
}

/// A message a check connection received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub seq: u64,
    pub at: Millis,
    pub topic: String,
    pub qos: Qos,
    pub dup: bool,
    pub retain: bool,
    pub len: usize,
    /// The payload when it is short text, else `<N bytes>`.
    pub label: String,
    /// Pushed into a connection that went silent.
    pub dead: bool,
    pub packet_id: Option<u16>,
}

impl Seen {
    pub fn is_marker(&self, tag: &str) -> bool {
        self.label
            .strip_prefix("marker:")
            .and_then(|rest| rest.split(':').next())
            == Some(tag)
    }
}

/// A connection of this client that ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseObs {
    pub seq: u64,
    pub at: Millis,
    pub reason: Option<CloseReason>,
    /// A silent connection closed by the broker: (the broker's predicted notice time).
    pub silent_predicted_at: Option<Millis>,
}

/// Everything one check connection observed during a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientLog {
    pub connects: Vec<ConnectObs>,
    pub subacks: Vec<SubackObs>,
    pub messages: Vec<Seen>,
    /// Outgoing QoS>0 handshakes finished: (seq, at, packet id).
    pub delivered: Vec<(u64, Millis, u16)>,
    /// QoS 2 PUBLISHes the broker answered with PUBACK (it took them as QoS 1), as the
    /// session reports them (`Event::Qos2AnsweredWithPuback`, before their `Delivered`).
    pub qos2_pubacked: Vec<(u64, Millis, u16)>,
    pub closes: Vec<CloseObs>,
    /// Waiting for a CONNACK: a close now is a failed connect.
    pub(crate) awaiting_connack: bool,
}

impl ClientLog {
    /// Messages on `topic` received before the first marker `tag` on it (all when none).
    pub fn before_marker<'a>(
        &'a self,
        topic: &'a str,
        tag: &'a str,
    ) -> impl Iterator<Item = &'a Seen> + 'a {
        let end = self.marker(topic, tag).map_or(u64::MAX, |m| m.seq);
        self.messages
            .iter()
            .filter(move |m| m.topic == topic && m.seq < end && !m.label.starts_with("marker:"))
    }

    /// The first marker `tag` received on `topic`.
    pub fn marker(&self, topic: &str, tag: &str) -> Option<&Seen> {
        self.messages
            .iter()
            .find(|m| m.topic == topic && m.is_marker(tag))
    }

    pub fn accepted(&self) -> impl Iterator<Item = (&ConnectObs, bool)> {
        self.connects.iter().filter_map(|c| match c.result {
            ConnectResult::Accepted { session_present } => Some((c, session_present)),
            _ => None,
        })
    }
}

/// One packet line of the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    /// Milliseconds since the check started.
    pub at: Millis,
    pub role: Role,
    pub direction: Direction,
    pub text: String,
}

impl TraceLine {
    pub fn render(&self) -> String {
        let arrow = match self.direction {
            Direction::Out => "→",
            Direction::In => "←",
        };
        format!("+{} ms {} {arrow} {}", self.at, self.role.name(), self.text)
    }
}

/// What a check (one round of it) observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub started_at: Millis,
    pub clients: [ClientLog; 3],
    pub trace: Vec<TraceLine>,
    /// Packets beyond `TRACE_LINES`, counted only.
    pub trace_dropped: u64,
    /// Steps that ended at their deadline (step indexes).
    pub deadlines: Vec<usize>,
    /// Notes the runner adds (a marker sent again, a step skipped).
    pub notes: Vec<crate::text::Bilingual>,
    /// `AwaitPayload`: the publish of the large payload, and its PUBACK if it came.
    pub payload_sent_at: Option<Millis>,
    pub payload_acked_at: Option<Millis>,
    /// `AwaitPayload`: the size tried in this round, and the deadline it was given.
    pub payload_size: usize,
    pub payload_deadline_ms: Millis,
    /// The `$` topic `SubscribeDollarWildcard` saw, the filter it subscribed, and the
    /// private topic the marker goes to.
    pub dollar_probe: Option<(String, String, String)>,
    /// Where `AwaitQuiet` ended (observations numbered up to here came before).
    pub quiet_end_seq: Option<u64>,
    pub(crate) next_seq: u64,
}

impl Record {
    pub fn new(started_at: Millis) -> Self {
        Record {
            started_at,
            ..Default::default()
        }
    }

    pub fn client(&self, role: Role) -> &ClientLog {
        &self.clients[role.index()]
    }

    pub(crate) fn client_mut(&mut self, role: Role) -> &mut ClientLog {
        &mut self.clients[role.index()]
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Takes in one session event of `role`'s connection.
    pub(crate) fn observe(&mut self, role: Role, event: Event) {
        let started_at = self.started_at;
        match event {
            Event::Qos2AnsweredWithPuback { at, packet_id, .. } => {
                let seq = self.seq();
                self.client_mut(role)
                    .qos2_pubacked
                    .push((seq, at, packet_id));
            }
            Event::Packet(p) => {
                // The payload search's keep-awake traffic would crowd out the packets that matter.
                if p.summary.kind == PacketKind::Publish
                    && p.raw.len() < 256
                    && publish_payload(&p.raw) == super::runner::KEEPAWAKE.as_bytes()
                {
                    return;
                }
                if self.trace.len() >= TRACE_LINES {
                    self.trace_dropped += 1;
                    return;
                }
                let mut text = p.summary.kind.as_str().to_string();
                if let Some(id) = p.summary.packet_id {
                    text.push_str(&format!(" #{id}"));
                }
                for (name, value) in &p.summary.fields {
                    // Never the credentials, not even their shape: the evidence goes into tickets.
                    if matches!(*name, "username" | "password") || value.is_empty() {
                        continue;
                    }
                    text.push_str(&format!(" {name}={value}"));
                }
                if p.summary.kind == PacketKind::Publish && p.raw.len() < 256 {
                    if let Some(label) = short_text(publish_payload(&p.raw)) {
                        text.push_str(&format!(" \"{label}\""));
                    }
                }
                self.trace.push(TraceLine {
                    at: p.at.saturating_sub(started_at),
                    role,
                    direction: p.direction,
                    text,
                });
            }
            Event::Connected {
                at,
                session_present,
                ..
            } => {
                let seq = self.seq();
                let c = self.client_mut(role);
                c.awaiting_connack = false;
                c.connects.push(ConnectObs {
                    seq,
                    at,
                    result: ConnectResult::Accepted { session_present },
                });
            }
            Event::Refused { at, refusal } => {
                let seq = self.seq();
                let c = self.client_mut(role);
                c.awaiting_connack = false;
                c.connects.push(ConnectObs {
                    seq,
                    at,
                    result: ConnectResult::Refused {
                        code: refusal.code(),
                    },
                });
            }
            Event::Closed { at, reason, .. } => {
                let seq = self.seq();
                let c = self.client_mut(role);
                if c.awaiting_connack {
                    c.awaiting_connack = false;
                    c.connects.push(ConnectObs {
                        seq,
                        at,
                        result: ConnectResult::Failed(reason.clone()),
                    });
                }
                if !matches!(reason, CloseReason::Refused(_)) {
                    c.closes.push(CloseObs {
                        seq,
                        at,
                        reason: Some(reason),
                        silent_predicted_at: None,
                    });
                }
            }
            Event::SilentConnectionClosed {
                at, predicted_at, ..
            } => {
                let seq = self.seq();
                self.client_mut(role).closes.push(CloseObs {
                    seq,
                    at,
                    reason: None,
                    silent_predicted_at: Some(predicted_at),
                });
            }
            Event::Subscribed {
                at,
                filter,
                granted,
                ..
            } => {
                let seq = self.seq();
                self.client_mut(role).subacks.push(SubackObs {
                    seq,
                    at,
                    filter,
                    granted,
                });
            }
            Event::Message(m) => {
                let seq = self.seq();
                let label = short_text(&m.payload)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("<{} bytes>", m.payload.len()));
                self.client_mut(role).messages.push(Seen {
                    seq,
                    at: m.at,
                    topic: m.topic,
                    qos: m.qos,
                    dup: m.dup,
                    retain: m.retain,
                    len: m.payload.len(),
                    label,
                    dead: m.into_dead_connection,
                    packet_id: m.packet_id,
                });
            }
            Event::Delivered { at, packet_id, .. } => {
                let seq = self.seq();
                self.client_mut(role).delivered.push((seq, at, packet_id));
            }
            _ => {}
        }
    }
}

/// The payload as text when it is short printable UTF-8.
fn short_text(payload: &[u8]) -> Option<&str> {
    if payload.len() > 64 {
        return None;
    }
    std::str::from_utf8(payload)
        .ok()
        .filter(|s| s.chars().all(|c| !c.is_control()))
}

/// The payload of an encoded PUBLISH (for the trace; empty when it cannot be read).
fn publish_payload(raw: &[u8]) -> &[u8] {
    let Some(first) = raw.first() else {
        return &[];
    };
    let mut i = 1;
    while i < raw.len() && raw[i] & 0x80 != 0 {
        i += 1;
    }
    i += 1;
    if i + 2 > raw.len() {
        return &[];
    }
    let topic_len = usize::from(u16::from_be_bytes([raw[i], raw[i + 1]]));
    i += 2 + topic_len;
    if (first >> 1) & 0x03 > 0 {
        i += 2;
    }
    raw.get(i..).unwrap_or(&[])
}
