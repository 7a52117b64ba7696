//! The vocabulary of a check's script: who acts, and the steps they take.

use crate::session::{Qos, Will};
use crate::time::Millis;

/// Which check connection acts. Its index is the `ClientIndex` of the driver's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `-chk1`: the client whose session is examined (usually the subscriber).
    Subject,
    /// `-chk2`: the publisher or observer.
    Peer,
    /// The client with an empty ClientId (`zero-length-client-id`).
    Anonymous,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Subject, Role::Peer, Role::Anonymous];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Option<Role> {
        Role::ALL.get(i).copied()
    }

    /// How the evidence names it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Subject => "chk1",
            Role::Peer => "chk2",
            Role::Anonymous => "chk0",
        }
    }
}

/// A payload a step publishes: short text labels (which the evidence quotes), or `size`
/// bytes for the payload search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Text(String),
    Empty,
    Bytes(usize),
}

impl Payload {
    pub fn text(s: impl Into<String>) -> Self {
        Payload::Text(s.into())
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Payload::Text(t) => t.clone().into_bytes(),
            Payload::Empty => Vec::new(),
            Payload::Bytes(n) => vec![b'a'; *n],
        }
    }
}

/// One step of a script. Each step starts (commands to a session) and then waits for what
/// ends it: an observation, or a deadline where only a deadline can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Connects and waits for CONNACK. A refusal or a close before CONNACK fails the check
    /// unless `refusal_ok` (then it is the observation).
    Connect {
        role: Role,
        clean: bool,
        keepalive: Option<u16>,
        will: Option<Will>,
        refusal_ok: bool,
    },
    /// Subscribes and waits for the SUBACK.
    Subscribe {
        role: Role,
        filter: String,
        qos: Qos,
    },
    /// Subscribes a first-level wildcard to the first retained `$` topic `source` saw:
    /// `+/<its other levels>`; nothing when none was seen.
    SubscribeDollarWildcard { role: Role, source: Role },
    /// Publishes; with `wait` (QoS > 0), waits for the handshake to finish.
    Publish {
        role: Role,
        topic: String,
        payload: Payload,
        qos: Qos,
        retain: bool,
        wait: bool,
    },
    /// Publishes `count` QoS 1 messages `q:<1..=count>` and waits for every PUBACK.
    PublishSeries {
        role: Role,
        topic: String,
        count: u32,
    },
    /// A QoS 1 publish on a topic nobody subscribes, waited for: everything `role`
    /// published before has been processed by the broker.
    Fence { role: Role },
    /// Sends DISCONNECT and closes.
    Disconnect { role: Role },
    /// Closes the socket without DISCONNECT.
    Drop { role: Role },
    /// Stops sending anything, socket left open.
    Silent { role: Role },
    /// Withholds acks of incoming messages (off: acks everything withheld).
    ManualAck { role: Role, on: bool },
    /// `publisher` publishes `marker:<tag>:<n>` (QoS 1) on `topic` until `listener` receives
    /// one: messages queued before it arrive before it, so what has not arrived by then
    /// never will. Sent again every `MARKER_RETRY_MS` when `retry`, in case the broker
    /// dropped it; past `timeout` the check fails (no positive signal), unless
    /// `timeout_ok` says the deadline is itself the observation.
    AwaitMarker {
        listener: Role,
        publisher: Role,
        topic: String,
        tag: &'static str,
        retry: bool,
        timeout: Millis,
        timeout_ok: bool,
    },
    /// The payload search: `publisher` sends `size` bytes and then a small marker on
    /// `topic`; ends when `listener` gets either, or when the connection stalls (a deadline
    /// measured from the broker's PUBACK of the large one, else from the publish).
    AwaitPayload {
        listener: Role,
        publisher: Role,
        topic: String,
        size: usize,
    },
    /// Waits for the broker to close `role`'s connection; the deadline is an observation.
    AwaitClose { role: Role, timeout: Millis },
    /// Waits until `role` has received messages and then nothing for `quiet` ms (or all
    /// `count`); the deadline is an observation.
    AwaitQuiet {
        role: Role,
        quiet: Millis,
        count: u32,
        timeout: Millis,
    },
    /// Waits for a retained message on a `$` topic at `role`; the deadline is an observation.
    AwaitDollar { role: Role, timeout: Millis },
    /// Lets late copies arrive.
    Sleep { ms: Millis },
}

/// Markers are published again this often while none arrives.
pub const MARKER_RETRY_MS: Millis = 2_000;
/// How long a marker may take before the check gives up.
pub const MARKER_TIMEOUT_MS: Millis = 10_000;
