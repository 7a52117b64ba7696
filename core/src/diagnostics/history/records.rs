//! The records a device's history keeps: one small struct per kind of fact.

use crate::framing::PacketKind;
use crate::session::{CloseReason, SocketId};
use crate::time::Millis;
use crate::verdicts::VerdictKind;

/// One CONNACK 0 the device received, with what its CONNECT carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRecord {
    /// CONNACK time.
    pub at: Millis,
    pub client_id: String,
    pub clean_session: bool,
    pub session_present: bool,
    /// `host:port` of the broker ([`super::broker_key`]), when the driver said which.
    pub broker: Option<String>,
    /// Keepalive the CONNECT carried, in seconds.
    pub keepalive_secs: Option<u16>,
    pub socket: Option<SocketId>,
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

/// A packet, as much of it as the rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PacketMark {
    pub at: Millis,
    pub kind: PacketKind,
    pub topic: Option<String>,
    pub packet_id: Option<u16>,
    pub dup: bool,
}

/// One connection (or attempt) that ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EndRecord {
    pub at: Millis,
    pub kind: EndKind,
    /// Why (none for a device that went silent).
    pub reason: Option<CloseReason>,
    /// CONNACK time of the connection that ended; `None` for an attempt that never connected.
    pub connack_at: Option<Millis>,
    pub client_id: Option<String>,
    /// The last packets sent and received on it.
    pub last_out: Option<PacketMark>,
    pub last_in: Option<PacketMark>,
}

/// A subscription the broker held from `from` until `to` (open while it still holds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeldSub {
    pub filter: String,
    pub requested: u8,
    pub granted: u8,
    pub from: Millis,
    pub to: Option<Millis>,
    /// Index of the connect it was granted on.
    pub connect: usize,
}

impl HeldSub {
    pub fn held_at(&self, at: Millis) -> bool {
        self.from <= at && self.to.is_none_or(|to| to > at)
    }
}

/// A SUBSCRIBE that went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubscribeSent {
    pub at: Millis,
    pub filter: String,
    pub qos: u8,
}

/// A SUBACK 0x80.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub at: Millis,
    pub filter: String,
    pub requested: u8,
}

/// A PUBLISH this device sent (not a DUP=1 resend).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PublishRecord {
    pub at: Millis,
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub packet_id: Option<u16>,
    /// Sent while the connection was a clean one.
    pub clean_session: bool,
    /// PUBACK / PUBREC received: the broker had it by then.
    pub acked_at: Option<Millis>,
}

/// A message this device received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MessageRecord {
    pub at: Millis,
    pub topic: String,
    pub qos: u8,
    pub dup: bool,
    pub retain: bool,
    pub kind: VerdictKind,
    /// Came back with the stored session (`Verdict::returned_with_session`).
    pub returned: bool,
    /// Pushed into a silent device's dead connection.
    pub dead: bool,
    /// The same message pushed into a dead connection earlier: (first push, delay).
    pub back_from_dead: Option<(Millis, Millis)>,
    /// The retained copy of a message this connection already had (3.8.4-3).
    pub retained_copy: bool,
    pub probe: Option<(String, u32, Millis)>,
    /// Identity: the probe, else topic and payload.
    pub key: u64,
    /// This device received the same message before (on any connection).
    pub seen_before: bool,
    pub packet_id: Option<u16>,
    pub acked_at: Option<Millis>,
}

/// A message pushed into a dead connection, until it comes back (or the session is wiped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeadDelivery {
    pub at: Millis,
    pub key: u64,
    pub topic: String,
    pub returned_at: Option<Millis>,
    pub wiped_at: Option<Millis>,
}

/// A probe series this device sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeriesSent {
    pub series: String,
    pub topic: String,
    pub qos: u8,
    pub total: u32,
    pub started_at: Millis,
    /// Stopped short: (when, how many went out).
    pub stopped: Option<(Millis, u32)>,
    /// PUBLISH packets to its topic at its QoS since it started (an upper bound of what it sent).
    pub published: u32,
    pub last_publish_at: Millis,
}

/// The broker closed a silent connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SilentClose {
    pub at: Millis,
    pub predicted_at: Millis,
    pub silent_since: Millis,
    pub taken_over: bool,
}

/// Unacknowledged publishes given up after Session Present = 0: (packet id, topic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Abandon {
    pub at: Millis,
    pub publishes: Vec<(u16, Option<String>)>,
}
