//! Devices that emit the events a session emits (CONNECT, CONNACK, Connected, SUBSCRIBE and
//! SUBACK, PUBLISH, ...), in the session's order, so that the rules are tested on the same
//! streams the page feeds them.

use super::*;
use crate::auth::AuthMode;
use crate::framing::{PacketKind, PacketSummary};
use crate::session::{
    CloseReason, ConnState, Direction, Event, IncomingMessage, PacketRecord, ProbeSeriesProgress,
    SocketId,
};
use crate::verdicts::{Certainty, Evidence, Verdict, VerdictKind};

/// The local broker `make serve` starts.
pub const LOCAL: &str = "ws://127.0.0.1:9001/mqtt";
/// Round trip to the broker.
pub const RTT: Millis = 5;

pub struct Dev {
    pub settings: DeviceSettings,
    pub history: DeviceHistory,
    socket: u32,
    next_id: u16,
    pub keepalive: u16,
    online: bool,
}

pub fn dev(client_id: &str, clean_session: bool) -> Dev {
    Dev {
        settings: DeviceSettings {
            clean_session,
            auth: AuthInput {
                client_id: client_id.into(),
                mode: AuthMode::None,
                ..Default::default()
            },
            broker_url: LOCAL.into(),
            ..Default::default()
        },
        history: DeviceHistory::default(),
        socket: 0,
        next_id: 1,
        keepalive: 60,
        online: false,
    }
}

/// A message as the session reports it; `live` unless said otherwise.
#[derive(Clone)]
pub struct Msg(pub IncomingMessage);

pub fn msg(topic: &str, payload: &str) -> Msg {
    Msg(IncomingMessage {
        at: 0,
        socket: SocketId(0),
        topic: topic.into(),
        payload: payload.as_bytes().to_vec(),
        qos: 1,
        dup: false,
        retain: false,
        packet_id: None,
        probe: None,
        verdict: Verdict {
            kind: VerdictKind::Live,
            certainty: Certainty::Inferred,
            evidence: Evidence::NoReplaySign,
        },
        into_dead_connection: false,
    })
}

impl Msg {
    pub fn qos(mut self, q: u8) -> Self {
        self.0.qos = q;
        self
    }
    pub fn dup(mut self) -> Self {
        self.0.dup = true;
        self
    }
    pub fn retain(mut self) -> Self {
        self.0.retain = true;
        self
    }
    pub fn probe(mut self, series: &str, seq: u32, sent_at: Millis) -> Self {
        self.0.probe = Some((series.into(), seq, sent_at));
        self.0.payload = crate::probe::Probe {
            series: series.into(),
            seq,
            sent_at,
        }
        .encode("");
        self
    }
    pub fn verdict(mut self, kind: VerdictKind, evidence: Evidence) -> Self {
        self.0.verdict = Verdict {
            kind,
            certainty: Certainty::Inferred,
            evidence,
        };
        self
    }
    pub fn offline(self) -> Self {
        self.verdict(
            VerdictKind::Offline,
            Evidence::ReplayBurst {
                after_connack_ms: 10,
            },
        )
    }
    /// Redelivered with DUP=1 right after Session Present = 1, no copy seen before: its first
    /// copy went to a connection the page did not see.
    pub fn returned_dup(self, after_connack_ms: Millis) -> Self {
        self.dup().verdict(
            VerdictKind::Redelivered,
            Evidence::DupFlagAfterReconnect { after_connack_ms },
        )
    }
    pub fn dead(mut self) -> Self {
        self.0.into_dead_connection = true;
        self
    }
    /// Redelivered: the same message pushed into the dead connection at `first_at`.
    pub fn back_from_dead(self, first_at: Millis, at: Millis) -> Self {
        self.dup().verdict(
            VerdictKind::Redelivered,
            Evidence::PushedIntoDeadConnection {
                first_at,
                delay_ms: at - first_at,
            },
        )
    }
}

fn summary(
    kind: PacketKind,
    packet_id: Option<u16>,
    fields: Vec<(&'static str, String)>,
) -> PacketSummary {
    PacketSummary {
        kind,
        packet_id,
        fields,
    }
}

impl Dev {
    pub fn feed(&mut self, e: Event) -> &mut Self {
        self.history.observe(&e);
        self
    }

    fn packet(&mut self, at: Millis, direction: Direction, s: PacketSummary) -> &mut Self {
        let socket = SocketId(self.socket);
        self.feed(Event::Packet(PacketRecord {
            at,
            direction,
            socket,
            summary: s,
            raw: vec![],
        }))
    }

    fn id(&mut self) -> u16 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// CONNECT with the form's ClientId and cleanSession, then CONNACK 0 at `at` and the
    /// resubscribe of every row (when on), as the session does.
    pub fn connect(&mut self, at: Millis, session_present: bool) -> &mut Self {
        self.socket += 1;
        // The driver names the broker as it opens the socket (Action::Open).
        let url = self.settings.broker_url.clone();
        self.history.connecting_to(&url);
        let (client_id, clean) = (
            self.settings.auth.client_id.clone(),
            self.settings.clean_session,
        );
        let sent = at.saturating_sub(RTT);
        self.packet(
            sent,
            Direction::Out,
            summary(
                PacketKind::Connect,
                None,
                vec![
                    ("clientId", client_id.clone()),
                    ("cleanSession", if clean { "1" } else { "0" }.into()),
                    ("keepAlive", self.keepalive.to_string()),
                ],
            ),
        );
        self.packet(
            at,
            Direction::In,
            summary(
                PacketKind::Connack,
                None,
                vec![
                    (
                        "sessionPresent",
                        if session_present { "1" } else { "0" }.into(),
                    ),
                    ("returnCode", "0".into()),
                ],
            ),
        );
        self.feed(Event::Connected {
            at,
            session_present,
            clean_session: clean,
            client_id,
        });
        self.feed(Event::State {
            at,
            state: ConnState::Connected,
        });
        self.online = true;
        if self.settings.resubscribe {
            let rows: Vec<(String, u8)> = self
                .settings
                .subscriptions
                .iter()
                .map(|s| (s.filter.clone(), s.requested))
                .collect();
            for (filter, qos) in rows {
                self.suback(at, &filter, qos, Some(qos));
            }
        }
        self
    }

    /// Connects to another broker.
    pub fn connect_to(&mut self, url: &str, at: Millis, session_present: bool) -> &mut Self {
        self.settings.broker_url = url.into();
        self.connect(at, session_present)
    }

    fn closed(&mut self, at: Millis, reason: CloseReason, next: ConnState) -> &mut Self {
        self.online = false;
        let socket = SocketId(self.socket);
        self.feed(Event::Closed { at, socket, reason });
        self.feed(Event::State { at, state: next })
    }

    pub fn disconnect(&mut self, at: Millis) -> &mut Self {
        self.packet(
            at,
            Direction::Out,
            summary(PacketKind::Disconnect, None, vec![]),
        );
        self.closed(at, CloseReason::UserDisconnect, ConnState::Disconnected)
    }

    pub fn drop_socket(&mut self, at: Millis) -> &mut Self {
        self.closed(at, CloseReason::UserDrop, ConnState::Disconnected)
    }

    /// The broker (or the network) closed the socket; the session schedules a reconnect.
    pub fn lost(&mut self, at: Millis) -> &mut Self {
        self.closed(
            at,
            CloseReason::SocketClosed,
            ConnState::Reconnecting { at: at + 1_000 },
        )
    }

    /// A reconnect attempt whose socket could not open (no CONNECT went out).
    pub fn attempt_failed(&mut self, at: Millis) -> &mut Self {
        self.socket += 1;
        self.feed(Event::State {
            at: at.saturating_sub(RTT),
            state: ConnState::Connecting,
        });
        self.closed(
            at,
            CloseReason::SocketFailed,
            ConnState::Reconnecting { at: at + 1_000 },
        )
    }

    pub fn closed_for(&mut self, at: Millis, reason: CloseReason) -> &mut Self {
        self.closed(at, reason, ConnState::Reconnecting { at: at + 1_000 })
    }

    pub fn go_silent(&mut self, at: Millis) -> &mut Self {
        self.online = false;
        self.feed(Event::State {
            at,
            state: ConnState::Silent,
        })
    }

    /// The broker closed the silent socket (`taken_over`: because of this device's new connect).
    pub fn silent_closed(
        &mut self,
        at: Millis,
        silent_since: Millis,
        taken_over: bool,
    ) -> &mut Self {
        let predicted_at = silent_since + Millis::from(self.keepalive) * 1_500;
        let socket = SocketId(self.socket);
        self.feed(Event::SilentConnectionClosed {
            at,
            socket,
            predicted_at,
            silent_since,
            taken_over,
        })
    }

    /// SUBSCRIBE for `filter` at `at`, SUBACK with `granted` (None = 0x80) one round trip later.
    pub fn suback(
        &mut self,
        at: Millis,
        filter: &str,
        requested: u8,
        granted: Option<u8>,
    ) -> &mut Self {
        let id = self.id();
        self.packet(
            at,
            Direction::Out,
            summary(
                PacketKind::Subscribe,
                Some(id),
                vec![("filter", format!("{filter} (QoS {requested})"))],
            ),
        );
        self.packet(
            at + RTT,
            Direction::In,
            summary(PacketKind::Suback, Some(id), vec![]),
        );
        self.feed(Event::Subscribed {
            at: at + RTT,
            filter: filter.into(),
            requested,
            granted,
        });
        match self
            .settings
            .subscriptions
            .iter_mut()
            .find(|s| s.filter == filter)
        {
            Some(s) => {
                s.granted = granted;
                s.failed = granted.is_none();
                s.pending = false;
                s.requested = requested;
            }
            None => self.settings.subscriptions.push(SubscriptionFact {
                filter: filter.into(),
                requested,
                granted,
                failed: granted.is_none(),
                pending: false,
            }),
        }
        self
    }

    /// Subscribes as the user does: at once when online (granted as asked), else a row sent
    /// on the next connect.
    pub fn subscribe(&mut self, at: Millis, filter: &str, qos: u8) -> &mut Self {
        if self.online {
            return self.suback(at, filter, qos, Some(qos));
        }
        self.settings.subscriptions.push(SubscriptionFact {
            filter: filter.into(),
            requested: qos,
            granted: None,
            failed: false,
            pending: true,
        });
        self
    }

    /// Unsubscribes as the user does: UNSUBSCRIBE / UNSUBACK when online, else the row only.
    pub fn unsubscribe(&mut self, at: Millis, filter: &str) -> &mut Self {
        if self.online {
            let id = self.id();
            self.packet(
                at,
                Direction::Out,
                summary(
                    PacketKind::Unsubscribe,
                    Some(id),
                    vec![("filter", filter.into())],
                ),
            );
            self.packet(
                at + RTT,
                Direction::In,
                summary(PacketKind::Unsuback, Some(id), vec![]),
            );
        }
        self.settings.subscriptions.retain(|s| s.filter != filter);
        let at = if self.online { at + RTT } else { at };
        self.feed(Event::Unsubscribed {
            at,
            filter: filter.into(),
        })
    }

    fn publish_packet(
        &mut self,
        at: Millis,
        topic: &str,
        qos: u8,
        retain: bool,
        dup: bool,
        id: Option<u16>,
    ) -> &mut Self {
        self.packet(
            at,
            Direction::Out,
            summary(
                PacketKind::Publish,
                id,
                vec![
                    ("topic", topic.into()),
                    ("qos", qos.to_string()),
                    ("dup", if dup { "1" } else { "0" }.into()),
                    ("retain", if retain { "1" } else { "0" }.into()),
                    ("payloadBytes", "5".into()),
                ],
            ),
        )
    }

    /// PUBLISH, acknowledged one round trip later for QoS>0.
    pub fn publish(&mut self, at: Millis, topic: &str, qos: u8) -> &mut Self {
        self.publish_with(at, topic, qos, false, true)
    }

    pub fn publish_retained(&mut self, at: Millis, topic: &str, qos: u8) -> &mut Self {
        self.publish_with(at, topic, qos, true, true)
    }

    /// PUBLISH whose ack never comes; returns its packet id.
    pub fn publish_unacked(&mut self, at: Millis, topic: &str, qos: u8) -> u16 {
        let id = self.id();
        self.publish_packet(at, topic, qos, false, false, Some(id));
        id
    }

    /// The same PUBLISH resent with DUP=1 after a resumed session.
    pub fn resend(&mut self, at: Millis, topic: &str, qos: u8, id: u16) -> &mut Self {
        self.publish_packet(at, topic, qos, false, true, Some(id));
        self.feed(Event::Resent {
            at,
            packet_ids: vec![id],
        })
    }

    fn publish_with(
        &mut self,
        at: Millis,
        topic: &str,
        qos: u8,
        retain: bool,
        acked: bool,
    ) -> &mut Self {
        let id = (qos > 0).then(|| self.id());
        self.publish_packet(at, topic, qos, retain, false, id);
        if let (Some(id), true) = (id, acked) {
            let kind = if qos == 1 {
                PacketKind::Puback
            } else {
                PacketKind::Pubrec
            };
            self.packet(at + RTT, Direction::In, summary(kind, Some(id), vec![]));
        }
        self
    }

    /// A message arrives at `at`; QoS>0 ones get a packet id and (unless dead) a PUBACK.
    pub fn receive(&mut self, at: Millis, m: Msg) -> &mut Self {
        self.receive_acked(at, m, Some(at))
    }

    /// A message whose ack goes out at `acked` (withheld acks: later; `None`: never).
    pub fn receive_acked(&mut self, at: Millis, m: Msg, acked: Option<Millis>) -> &mut Self {
        let mut m = m.0;
        m.at = at;
        m.socket = SocketId(self.socket);
        if m.qos > 0 && m.packet_id.is_none() {
            m.packet_id = Some(self.id());
        }
        let (id, qos, dead) = (m.packet_id, m.qos, m.into_dead_connection);
        self.packet(
            at,
            Direction::In,
            summary(
                PacketKind::Publish,
                id,
                vec![
                    ("topic", m.topic.clone()),
                    ("qos", qos.to_string()),
                    ("dup", if m.dup { "1" } else { "0" }.into()),
                ],
            ),
        );
        self.feed(Event::Message(m));
        if let (Some(id), Some(acked), false) = (id, acked, dead) {
            let kind = if qos == 2 {
                PacketKind::Pubrec
            } else {
                PacketKind::Puback
            };
            self.packet(acked, Direction::Out, summary(kind, Some(id), vec![]));
        }
        self
    }

    /// A probe series published `interval` apart: `total` planned, the first `sent` sent.
    /// Returns each probe's (seq, sent_at).
    #[allow(clippy::too_many_arguments)]
    pub fn probe_series(
        &mut self,
        at: Millis,
        series: &str,
        topic: &str,
        qos: u8,
        total: u32,
        sent: u32,
        interval: Millis,
    ) -> Vec<(u32, Millis)> {
        self.feed(Event::ProbeSeriesStarted {
            at,
            series: series.into(),
            topic: topic.into(),
            qos,
            total,
        });
        let mut out = Vec::new();
        for seq in 1..=sent {
            let t = at + Millis::from(seq - 1) * interval;
            self.publish(t, topic, qos);
            out.push((seq, t));
        }
        self.settings.sending = Some(ProbeSeriesProgress {
            series: series.into(),
            sent,
            total,
            running: sent < total,
        });
        out
    }
}

/// Devices on one page.
#[derive(Default)]
pub struct World {
    pub devs: Vec<Dev>,
}

impl World {
    pub fn of(devs: Vec<Dev>) -> Self {
        World { devs }
    }

    pub fn findings(&self, now: Millis) -> Vec<Finding> {
        let facts: Vec<DeviceFacts<'_>> = self
            .devs
            .iter()
            .enumerate()
            .map(|(i, d)| DeviceFacts {
                device: i as u32,
                settings: &d.settings,
                history: &d.history,
            })
            .collect();
        diagnose(now, &facts)
    }

    /// Rule ids that fire at `now`, sorted, once each.
    pub fn rules(&self, now: Millis) -> Vec<&'static str> {
        let mut r: Vec<&'static str> = self.findings(now).into_iter().map(|f| f.rule).collect();
        r.sort_unstable();
        r.dedup();
        r
    }

    pub fn finding(&self, now: Millis, rule: &str) -> Option<Finding> {
        self.findings(now).into_iter().find(|f| f.rule == rule)
    }
}

impl std::ops::Index<usize> for World {
    type Output = Dev;
    fn index(&self, i: usize) -> &Dev {
        &self.devs[i]
    }
}

impl std::ops::IndexMut<usize> for World {
    fn index_mut(&mut self, i: usize) -> &mut Dev {
        &mut self.devs[i]
    }
}
