//! One WebSocket's worth of MQTT state, with the settings it was opened with.

use super::config::SessionConfig;
use super::events::SocketId;
use crate::framing::Framer;
use crate::time::Millis;

/// How long after a Session Present = 1 CONNACK the first stored message may take.
pub(crate) const REPLAY_QUIET_MS: Millis = 500;
/// The longest pause between two stored messages of one replay on a fast link. Design: a
/// broker replays what it stored back to back, paced only by acks; a live stream arrives at
/// its publisher's rate. A pause longer than this (or than two round trips of this
/// connection, on a slow link) ends the replay, so a 5 Hz stream after a reconnect is not
/// called offline for as long as it runs. The pause must be seen by the replay timer
/// (`Timer::ReplayQuiet`) firing before the next arrival is handled.
pub(crate) const REPLAY_GAP_MS: Millis = 100;
/// The pause allowed after a dense arrival (two within the replay gap): a broker replaying a
/// queue sends a window of messages, waits for their acks, then sends the next; on a loaded
/// machine that turn took over 100 ms here (20,000 stored messages: all but the first window
/// were called live). A lone arrival (a 5 Hz stream) gets only the replay gap.
pub(crate) const REPLAY_WINDOW_GAP_MS: Millis = 300;
/// Deliveries remembered per connection to recognise a retained copy of one of them.
const DELIVERED_REMEMBERED: usize = 4_096;

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
    /// The last time anything arrived on it: proof the connection is alive, even while a
    /// PINGRESP waits behind a backlog of messages.
    pub last_received_at: Millis,
    /// Set when the device went silent on this connection.
    pub silent_since: Option<Millis>,
    /// End of the replay burst after a CONNACK with Session Present = 1.
    pub replay_burst_until: Millis,
    /// The pause that ends the replay burst on this connection.
    pub replay_gap_ms: Millis,
    /// The previous arrival inside the replay burst.
    replay_last_arrival: Option<Millis>,
    /// When CONNECT went out: CONNACK minus this is the connection's round trip.
    pub connect_sent_at: Millis,
    /// When the device was last online before this connection (its previous connection
    /// ended or went silent); `None` when the page saw no earlier connection.
    pub away_since: Option<Millis>,
    /// Hashes of messages delivered on this connection (not retained copies), newest last.
    delivered: std::collections::VecDeque<u64>,
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
            last_received_at: now,
            silent_since: None,
            replay_burst_until: 0,
            replay_gap_ms: REPLAY_GAP_MS,
            replay_last_arrival: None,
            connect_sent_at: now,
            away_since: None,
            delivered: std::collections::VecDeque::new(),
        }
    }

    /// When the socket was asked for: an opening that takes longer than the CONNACK
    /// timeout is given up (a handshake that never completes must not hang forever).
    pub fn open_deadline(&self) -> Millis {
        self.connect_sent_at + self.settings.connack_timeout_ms
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

    /// When an unanswered PINGREQ declares the connection lost: its timeout counts from the
    /// PINGREQ or from the last packet received after it, whichever is later.
    pub fn ping_response_deadline(&self) -> Option<Millis> {
        self.ping_sent_at
            .map(|sent| sent.max(self.last_received_at) + self.settings.ping_timeout_ms)
    }

    /// When the next PINGREQ is due, if keepalive is on and none is outstanding.
    pub fn ping_due_at(&self) -> Option<Millis> {
        (self.settings.keepalive_secs > 0 && self.ping_sent_at.is_none())
            .then(|| self.last_sent_at + self.settings.keepalive_ms())
    }

    /// CONNACK arrived at `now`: with Session Present = 1 a replay may follow.
    pub fn start_replay(&mut self, session_present: bool, now: Millis) {
        let round_trip = now.saturating_sub(self.connect_sent_at);
        self.replay_gap_ms = REPLAY_GAP_MS.max(2 * round_trip);
        self.replay_burst_until = if session_present {
            now + REPLAY_QUIET_MS.max(2 * round_trip)
        } else {
            0
        };
    }

    /// Whether a message arriving at `now` is inside the replay burst; one inside extends
    /// it by the replay gap. The burst stays open until the replay timer fires
    /// (`end_replay`): a late arrival whose gap no timer witnessed was queued behind the
    /// page's own work, not paused by the broker.
    pub fn inside_replay_burst(&mut self, now: Millis) -> bool {
        let inside = self.replay_burst_until > 0;
        if inside {
            let dense = self
                .replay_last_arrival
                .is_some_and(|last| now.saturating_sub(last) <= self.replay_gap_ms);
            let gap = if dense {
                self.replay_gap_ms.max(REPLAY_WINDOW_GAP_MS)
            } else {
                self.replay_gap_ms
            };
            self.replay_burst_until = now + gap;
            self.replay_last_arrival = Some(now);
        }
        inside
    }

    /// When the replay burst ends unless another stored message comes first.
    pub fn replay_quiet_at(&self) -> Option<Millis> {
        (self.replay_burst_until > 0).then_some(self.replay_burst_until)
    }

    /// The replay timer fired: the broker was quiet for the replay gap.
    pub fn end_replay(&mut self) {
        self.replay_burst_until = 0;
        self.replay_last_arrival = None;
    }

    /// Remembers a message delivered on this connection (bounded).
    pub fn remember_delivery(&mut self, hash: u64) {
        if self.delivered.len() >= DELIVERED_REMEMBERED {
            self.delivered.pop_front();
        }
        self.delivered.push_back(hash);
    }

    /// Whether this connection already delivered the message with this hash.
    pub fn delivered_before(&self, hash: u64) -> bool {
        self.delivered.contains(&hash)
    }
}
