//! What the diagnostics remember of one device: a digest of its events, kept small.

use crate::framing::PacketKind;
use crate::session::{CloseReason, ConnState, Direction, Event};
use crate::time::Millis;
use crate::verdicts::VerdictKind;

/// Older entries are dropped beyond this, so that a long session stays cheap.
const KEEP: usize = 4_096;

/// One CONNACK 0 the device received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRecord {
    pub at: Millis,
    pub client_id: String,
    pub clean_session: bool,
    pub session_present: bool,
}

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndKind {
    Disconnect,
    Drop,
    Silent,
    /// Closed by the broker or the network (a takeover looks like this).
    Lost,
    Refused,
}

/// A digest of one device's events.
#[derive(Clone, Debug, Default)]
pub struct DeviceHistory {
    pub connects: Vec<ConnectRecord>,
    pub ends: Vec<(Millis, EndKind)>,
    /// (at, online) whenever that changed.
    pub online_changes: Vec<(Millis, bool)>,
    /// First successful SUBACK per filter.
    pub first_subscribed: Vec<(String, Millis)>,
    /// Outgoing PUBLISH packets (not resends): (at, topic, qos).
    pub publishes: Vec<(Millis, String, u8)>,
    /// Arrival times of messages judged offline, since the last connect.
    pub offline_arrivals: Vec<Millis>,
}

impl DeviceHistory {
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Connected {
                at,
                session_present,
                clean_session,
                client_id,
            } => {
                self.connects.push(ConnectRecord {
                    at: *at,
                    client_id: client_id.clone(),
                    clean_session: *clean_session,
                    session_present: *session_present,
                });
                self.offline_arrivals.clear();
            }
            Event::State { at, state } => {
                let online = matches!(state, ConnState::Connected);
                if self.online_changes.last().map(|(_, o)| *o) != Some(online) {
                    self.online_changes.push((*at, online));
                }
                if *state == ConnState::Silent {
                    self.ends.push((*at, EndKind::Silent));
                }
            }
            Event::Closed { at, reason, .. } => {
                let kind = match reason {
                    CloseReason::UserDisconnect => EndKind::Disconnect,
                    CloseReason::UserDrop => EndKind::Drop,
                    CloseReason::Refused(_) => EndKind::Refused,
                    _ => EndKind::Lost,
                };
                self.ends.push((*at, kind));
            }
            Event::Subscribed {
                at,
                filter,
                granted: Some(_),
                ..
            } if !self.first_subscribed.iter().any(|(f, _)| f == filter) => {
                self.first_subscribed.push((filter.clone(), *at));
            }
            Event::Packet(p)
                if p.direction == Direction::Out && p.summary.kind == PacketKind::Publish =>
            {
                let field = |name: &str| {
                    p.summary
                        .fields
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.as_str())
                };
                if field("dup") != Some("1") {
                    let qos = field("qos").and_then(|q| q.parse().ok()).unwrap_or(0);
                    self.publishes.push((
                        p.at,
                        field("topic").unwrap_or_default().to_string(),
                        qos,
                    ));
                }
            }
            Event::Message(m)
                if m.verdict.kind == VerdictKind::Offline && !m.into_dead_connection =>
            {
                self.offline_arrivals.push(m.at);
            }
            _ => {}
        }
        trim(&mut self.publishes);
        trim(&mut self.offline_arrivals);
        trim(&mut self.connects);
        trim(&mut self.ends);
        trim(&mut self.online_changes);
    }

    /// Whether the device was online at `at`.
    pub fn online_at(&self, at: Millis) -> bool {
        self.online_changes
            .iter()
            .rev()
            .find(|(t, _)| *t <= at)
            .is_some_and(|(_, online)| *online)
    }

    pub fn online_now(&self) -> bool {
        self.online_changes.last().is_some_and(|(_, o)| *o)
    }
}

fn trim<T>(list: &mut Vec<T>) {
    if list.len() > KEEP {
        list.drain(..list.len() - KEEP);
    }
}
