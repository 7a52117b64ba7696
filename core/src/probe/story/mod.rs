//! The story of each probe series a device received: when it started, what happened to the
//! receiving device while it ran, its messages per verdict, the latency range, and its copies
//! counted honestly.
//!
//! Design: a message is one (series, seq). Every copy of it that arrived is a delivery. The
//! copy that gives the message its verdict and latency is the first one that arrived on a
//! live connection: a copy pushed into a silent device's dead connection is never acked,
//! so the application never had it. A message pushed into a dead connection and redelivered
//! with DUP=1 is therefore one message delivered twice, never two messages.
//!
//! The series' start is the earliest send time its probes claim (the sender's clock); the
//! receiver's happenings are on the receiver's clock. On one page they are the same clock.

mod told;

pub use told::{AtStart, Happening, SeriesStory, VerdictCounts};

use super::latency_ms;
use crate::framing::PacketKind;
use crate::session::{CloseReason, ConnState, Direction, Event, IncomingMessage, SocketId};
use crate::time::Millis;
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// Series told at once: as many as the tracker keeps (the least recently active goes first).
use super::tracker::{make_room, MAX_SERIES};
/// Happenings of the receiving device remembered; older ones go first.
const MAX_HAPPENINGS: usize = 256;
/// Distinct sequence numbers remembered per series: past this, a copy of a number not seen
/// yet counts as a new message (a hostile sender cannot grow the page without limit).
const MAX_SEQS: usize = 1 << 20;

/// One message's copies so far.
#[derive(Clone, Copy, Debug, Default)]
struct Copies {
    live: u32,
    dead: u32,
}

#[derive(Clone, Debug, Default)]
struct Series {
    started_at: Millis,
    last_arrival_at: Millis,
    seqs: BTreeMap<u32, Copies>,
    messages: u64,
    copies: u64,
    twice_via_dead: u64,
    dead_only: u64,
    extra_copies: u64,
    verdicts: VerdictCounts,
    latency: Option<(i64, i64)>,
    /// The teller's clock at this series' last copy (eviction order).
    last_active: u64,
}

impl Series {
    fn record(&mut self, m: &IncomingMessage, seq: u32, sent_at: Millis) {
        self.started_at = self.started_at.min(sent_at);
        self.last_arrival_at = self.last_arrival_at.max(m.at);
        self.copies += 1;
        let known = self.seqs.len() < MAX_SEQS || self.seqs.contains_key(&seq);
        let before = if known {
            *self.seqs.entry(seq).or_default()
        } else {
            Copies::default()
        };
        let mut after = before;
        if m.into_dead_connection {
            after.dead = after.dead.saturating_add(1);
            if before.dead == 0 && before.live == 0 {
                self.dead_only += 1;
            }
        } else {
            after.live = after.live.saturating_add(1);
            if before.live == 0 {
                // The copy that counts: its verdict and latency are the message's.
                self.messages += 1;
                self.verdicts.add(m.verdict.kind);
                let lat = latency_ms(m.at, sent_at);
                self.latency = Some(
                    self.latency
                        .map_or((lat, lat), |(lo, hi)| (lo.min(lat), hi.max(lat))),
                );
                if before.dead > 0 {
                    self.dead_only = self.dead_only.saturating_sub(1);
                    self.twice_via_dead += 1;
                }
            } else {
                self.extra_copies += 1;
            }
        }
        if known {
            self.seqs.insert(seq, after);
        }
    }
}

/// Tells the story of every probe series a device receives: fed the device's session events
/// in order, as the page and a replayed recording both do.
#[derive(Clone, Debug, Default)]
pub struct SeriesStories {
    series: BTreeMap<String, Series>,
    happenings: Vec<(Millis, Happening)>,
    /// Happenings older than the ones kept were dropped.
    trimmed: bool,
    online: bool,
    /// A CONNACK was seen before: the next one is a reconnect.
    connected_before: bool,
    /// The socket of the last CONNACK: a close of another (a dead one) is no happening.
    live_socket: Option<SocketId>,
    clock: u64,
}

impl SeriesStories {
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Message(m) => {
                if let Some((series, seq, sent_at)) = &m.probe {
                    self.copy(m, series, *seq, *sent_at);
                }
            }
            Event::Packet(p)
                if p.direction == Direction::In && p.summary.kind == PacketKind::Connack =>
            {
                self.live_socket = Some(p.socket);
            }
            Event::Connected {
                at,
                session_present,
                ..
            } => {
                self.online = true;
                let again = self.connected_before;
                self.connected_before = true;
                self.happen(
                    *at,
                    Happening::Connected {
                        session_present: *session_present,
                        again,
                    },
                );
            }
            Event::State {
                at,
                state: ConnState::Silent,
            } if self.online => {
                self.online = false;
                self.happen(*at, Happening::WentSilent);
            }
            Event::Closed { at, reason, socket }
                if self.online && self.live_socket.is_none_or(|s| s == *socket) =>
            {
                self.online = false;
                let h = match reason {
                    CloseReason::UserDisconnect => Happening::Disconnected,
                    CloseReason::UserDrop => Happening::Dropped,
                    _ => Happening::ConnectionLost,
                };
                self.happen(*at, h);
            }
            Event::SilentConnectionClosed {
                at,
                taken_over: false,
                ..
            } => self.happen(*at, Happening::SilentConnectionClosed),
            _ => {}
        }
    }

    fn happen(&mut self, at: Millis, h: Happening) {
        if self.happenings.len() >= MAX_HAPPENINGS {
            self.happenings.remove(0);
            self.trimmed = true;
        }
        self.happenings.push((at, h));
    }

    fn copy(&mut self, m: &IncomingMessage, series: &str, seq: u32, sent_at: Millis) {
        self.clock += 1;
        make_room(&mut self.series, series, MAX_SERIES, |s| s.last_active);
        let s = self
            .series
            .entry(series.to_string())
            .or_insert_with(|| Series {
                started_at: sent_at,
                last_arrival_at: m.at,
                ..Default::default()
            });
        s.last_active = self.clock;
        s.record(m, seq, sent_at);
    }

    /// The story of one series, if any copy of it arrived.
    pub fn story(&self, series: &str) -> Option<SeriesStory> {
        let s = self.series.get(series)?;
        // A sender's clock ahead of the receiver's can put the start after the arrivals.
        let end = s.last_arrival_at.max(s.started_at);
        let before = self
            .happenings
            .iter()
            .rev()
            .find(|(at, _)| *at < s.started_at);
        let at_start = match before {
            Some((_, h)) if h.is_away() => AtStart::Away(*h),
            Some(_) => AtStart::Connected,
            None if self.trimmed => AtStart::Unknown,
            None => AtStart::NotConnected,
        };
        let happenings = self
            .happenings
            .iter()
            .filter(|(at, _)| (s.started_at..=end).contains(at))
            .copied()
            .collect();
        Some(SeriesStory {
            started_at: s.started_at,
            last_arrival_at: s.last_arrival_at,
            at_start,
            happenings,
            messages: s.messages,
            copies: s.copies,
            twice_via_dead: s.twice_via_dead,
            dead_only: s.dead_only,
            extra_copies: s.extra_copies,
            verdicts: s.verdicts,
            latency: s.latency,
        })
    }
}
