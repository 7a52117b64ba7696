//! One WebSocket's worth of MQTT state, with the settings it was opened with.

use super::config::SessionConfig;
use super::events::SocketId;
use crate::framing::Framer;
use crate::time::Millis;

/// How long the replay burst after a Session Present = 1 CONNACK is assumed to last
/// without a message; each message in it extends it.
pub(crate) const REPLAY_QUIET_MS: Millis = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Opening,
    AwaitingConnack { deadline: Millis },
    Connected { connack_at: Millis },
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub socket: SocketId,
    /// The settings this connection was opened with. Design: editing the form and
    /// connecting again must not change what a live or left-behind silent connection
    /// promised the broker (its keepalive, so the broker's notice clock) or reports.
    pub settings: SessionConfig,
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
    pub fn new(socket: SocketId, settings: SessionConfig, now: Millis) -> Self {
        let framer = Framer::new(settings.max_packet_bytes);
        Connection {
            socket,
            settings,
            phase: Phase::Opening,
            framer,
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

    /// Connected and not silent: the device speaks on it.
    pub fn is_live(&self) -> bool {
        self.silent_since.is_none() && self.connack_at().is_some()
    }

    /// When the broker may give up on this connection if nothing more is sent on it.
    pub fn broker_notice_at(&self) -> Millis {
        self.last_sent_at + self.settings.broker_grace_ms()
    }

    /// When the next PINGREQ is due, if keepalive is on and none is outstanding.
    pub fn ping_due_at(&self) -> Option<Millis> {
        (self.settings.keepalive_secs > 0 && self.ping_sent_at.is_none())
            .then(|| self.last_sent_at + self.settings.keepalive_ms())
    }

    /// Extends the replay burst if `now` is inside it; tells whether it was.
    pub fn inside_replay_burst(&mut self, now: Millis) -> bool {
        let inside = now <= self.replay_burst_until;
        if inside {
            self.replay_burst_until = now + REPLAY_QUIET_MS;
        }
        inside
    }
}
