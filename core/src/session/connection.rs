//! One WebSocket's worth of MQTT state.

use super::events::SocketId;
use crate::framing::Framer;
use crate::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Opening,
    AwaitingConnack { deadline: Millis },
    Connected { connack_at: Millis },
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub socket: SocketId,
    pub phase: Phase,
    pub framer: Framer,
    /// The last time this device sent anything on it: the broker's keepalive clock starts here.
    pub last_sent_at: Millis,
    pub ping_sent_at: Option<Millis>,
    /// Set when the device went silent on this connection.
    pub silent_since: Option<Millis>,
    /// End of the replay burst after a CONNACK with Session Present = 1.
    pub replay_burst_until: Millis,
}

impl Connection {
    pub fn new(socket: SocketId, now: Millis, max_packet_bytes: usize) -> Self {
        Connection {
            socket,
            phase: Phase::Opening,
            framer: Framer::new(max_packet_bytes),
            last_sent_at: now,
            ping_sent_at: None,
            silent_since: None,
            replay_burst_until: 0,
        }
    }

    pub fn connack_at(&self) -> Option<Millis> {
        match self.phase {
            Phase::Connected { connack_at } => Some(connack_at),
            _ => None,
        }
    }
}
