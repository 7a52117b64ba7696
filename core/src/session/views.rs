//! Read-only views of the session for the page: ack timers, subscriptions, broker clock.

use super::outgoing::OutStage;
use super::{ConnState, ProbeSeriesProgress, Session};
use crate::probe::SeriesSummary;
use crate::time::{remaining, Millis};

/// Which clock an ack timer row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InflightKind {
    /// Outgoing, waiting for PUBACK / PUBREC / PUBCOMP: the client's own ack timeout.
    AwaitingAck,
    /// Incoming, ack withheld by the user: the broker's ack timeout.
    AckWithheld,
    /// Incoming, pushed into a silent device's dead connection: it will never be acked.
    DeadDelivery,
}

/// One unacknowledged message with its countdown.
// Deserialize: by hand in serde_names (its `&'static str`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InflightRow {
    pub outgoing: bool,
    pub packet_id: u16,
    pub kind: InflightKind,
    pub topic: String,
    pub qos: u8,
    /// The handshake step awaited (`PUBACK`, `PUBREC`, `PUBCOMP`) or the ack withheld.
    pub awaiting: &'static str,
    pub started_at: Millis,
    pub deadline: Millis,
    pub remaining_ms: Millis,
}

/// A subscription as requested and as granted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionRow {
    pub filter: String,
    pub requested: u8,
    /// Granted QoS; `None` while waiting for SUBACK or after a failure.
    pub granted: Option<u8>,
    pub failed: bool,
    pub pending: bool,
}

impl SubscriptionRow {
    /// `data-granted`: the granted QoS, `128` for a failure, empty while pending.
    pub fn granted_attr(&self) -> String {
        match (self.failed, self.granted) {
            (true, _) => "128".into(),
            (false, Some(q)) => q.to_string(),
            (false, None) => String::new(),
        }
    }
}

/// While silent: when the broker should notice (1.5 x keepalive since the last packet sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrokerNotice {
    pub silent_since: Millis,
    pub last_sent_at: Millis,
    pub predicted_at: Millis,
    pub remaining_ms: Millis,
}

impl Session {
    /// Every unacknowledged message, outgoing first, by deadline.
    pub fn inflight_rows(&self, now: Millis) -> Vec<InflightRow> {
        let mut rows: Vec<InflightRow> = self
            .outgoing
            .iter()
            .map(|(id, o)| InflightRow {
                outgoing: true,
                packet_id: *id,
                kind: InflightKind::AwaitingAck,
                topic: o.topic.clone(),
                qos: o.qos,
                awaiting: match o.stage {
                    OutStage::Puback => "PUBACK",
                    OutStage::Pubrec => "PUBREC",
                    OutStage::Pubcomp => "PUBCOMP",
                },
                started_at: o.sent_at,
                deadline: o.deadline,
                remaining_ms: remaining(o.deadline, now),
            })
            .collect();
        rows.extend(self.held.iter().map(|((_, id), h)| InflightRow {
            outgoing: false,
            packet_id: *id,
            kind: if h.dead {
                InflightKind::DeadDelivery
            } else {
                InflightKind::AckWithheld
            },
            topic: h.topic.clone(),
            qos: h.qos,
            awaiting: if h.qos == 2 { "PUBREC" } else { "PUBACK" },
            started_at: h.received_at,
            deadline: h.broker_deadline,
            remaining_ms: remaining(h.broker_deadline, now),
        }));
        rows.sort_by_key(|r| (!r.outgoing, r.deadline, r.packet_id));
        rows
    }

    pub fn subscription_rows(&self) -> Vec<SubscriptionRow> {
        self.subscriptions
            .iter()
            .map(|s| SubscriptionRow {
                filter: s.filter.clone(),
                requested: s.requested,
                granted: s.granted,
                failed: s.failed,
                pending: s.pending,
            })
            .collect()
    }

    /// The broker's keepalive clock for the silent connection, if there is one.
    pub fn broker_notice(&self, now: Millis) -> Option<BrokerNotice> {
        let conn = self
            .current
            .as_ref()
            .filter(|c| c.silent_since.is_some())
            .or(self.dead.as_ref())?;
        let silent_since = conn.silent_since?;
        let predicted_at = conn.broker_notice_at();
        Some(BrokerNotice {
            silent_since,
            last_sent_at: conn.last_sent_at,
            predicted_at,
            remaining_ms: remaining(predicted_at, now),
        })
    }

    /// Whether a countdown the page shows is running (ack timers, the reconnect delay, the
    /// broker's notice of a silent connection), so that the page keeps redrawing this
    /// device; an idle connected device has none and is not redrawn.
    pub fn has_running_clocks(&self) -> bool {
        !self.outgoing.is_empty()
            || !self.held.is_empty()
            || self.reconnect_at.is_some()
            || self.dead.is_some()
            || self
                .current
                .as_ref()
                .is_some_and(|c| c.silent_since.is_some())
    }

    /// Whether acks of incoming messages are withheld.
    pub fn manual_ack(&self) -> bool {
        self.config.manual_ack
    }

    /// Round trip of the last PINGREQ.
    pub fn last_ping_rtt(&self) -> Option<Millis> {
        self.last_rtt_ms
    }

    /// When the next PINGREQ goes out, if the connection is idle until then.
    pub fn next_ping_at(&self) -> Option<Millis> {
        let conn = self.current.as_ref().filter(|c| c.is_live())?;
        conn.ping_due_at()
    }

    /// Gap and duplicate summaries of the probe series received.
    pub fn probe_summaries(&self) -> Vec<(String, crate::probe::SeriesSummary)> {
        self.probes.summaries()
    }
}

/// Everything the page shows of a session, taken at one moment: components render this
/// and never call into the session. Countdowns carry their deadlines, so a renderer can
/// move them on with its own clock without a new snapshot.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionView {
    pub taken_at: Millis,
    pub state: ConnState,
    pub session_present: Option<bool>,
    pub broker_notice: Option<BrokerNotice>,
    pub last_ping_rtt: Option<Millis>,
    pub next_ping_at: Option<Millis>,
    pub subscriptions: Vec<SubscriptionRow>,
    pub inflight: Vec<InflightRow>,
    pub probe_summaries: Vec<(String, SeriesSummary)>,
    pub probe_series: Option<ProbeSeriesProgress>,
    /// Received series no longer tracked (too many series at once).
    pub probe_series_evicted: u64,
    pub manual_ack: bool,
    /// Some countdown or heartbeat on screen moves with time.
    pub running_clocks: bool,
}

impl Session {
    /// A snapshot of what the page shows.
    pub fn view(&self, now: Millis) -> SessionView {
        SessionView {
            taken_at: now,
            state: self.state,
            session_present: self.session_present,
            broker_notice: self.broker_notice(now),
            last_ping_rtt: self.last_rtt_ms,
            next_ping_at: self.next_ping_at(),
            subscriptions: self.subscription_rows(),
            inflight: self.inflight_rows(now),
            probe_summaries: self.probe_summaries(),
            probe_series: self.probe_series_progress(),
            probe_series_evicted: self.probes.evicted_series(),
            manual_ack: self.config.manual_ack,
            running_clocks: self.has_running_clocks(),
        }
    }
}
