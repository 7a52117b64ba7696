//! The session's timers: one enum, one table of deadlines derived from state in one place.
//!
//! Design: `poll_timeout` is the minimum of the table and `handle_timeout` fires every
//! entry of the same table that is due, so the two can never disagree on a deadline.

use super::connection::Phase;
use super::{CloseReason, Event, Session};
use crate::time::Millis;
use mqtt::packet::{PingreqPacket, VariablePacket};

/// Every clock the session keeps, in the order they fire when due together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// An automatic reconnect after a loss (backoff with jitter).
    Reconnect,
    /// The broker did not answer CONNECT.
    Connack,
    /// The live connection was idle for keepalive: send PINGREQ.
    Ping,
    /// PINGREQ unanswered: the connection is lost.
    PingResponse,
    /// The replay burst after Session Present = 1 ends when this fires: the quiet is
    /// witnessed by a timer, not inferred from the gap between two arrivals (a page busy
    /// rendering a 60,000-message drain would see gaps the broker never left).
    ReplayQuiet,
    /// The earliest outgoing QoS>0 message still waiting for its ack (the client's timeout).
    OutgoingAck,
    /// The earliest withheld or dead delivery reaching the broker's ack timeout.
    BrokerAck,
    /// The next probe of a running probe series is due.
    ProbeSeries,
}

impl Timer {
    pub(crate) const ALL: [Timer; 8] = [
        Timer::Reconnect,
        Timer::Connack,
        Timer::Ping,
        Timer::PingResponse,
        Timer::ReplayQuiet,
        Timer::OutgoingAck,
        Timer::BrokerAck,
        Timer::ProbeSeries,
    ];
}

/// A deadline per timer; unset entries are stopped timers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable([Option<Millis>; Timer::ALL.len()]);

impl TimerTable {
    fn set(&mut self, timer: Timer, at: Option<Millis>) {
        self.0[timer as usize] = at;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Millis> {
        self.0[timer as usize]
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Millis> {
        self.0.iter().flatten().copied().min()
    }

    /// The timers due at `now`, in firing order.
    fn due(&self, now: Millis) -> impl Iterator<Item = Timer> + '_ {
        Timer::ALL
            .into_iter()
            .filter(move |t| self.get(*t).is_some_and(|at| at <= now))
    }
}

impl Session {
    /// Every deadline, derived from the session's state. The one home of each rule.
    pub(crate) fn timer_table(&self) -> TimerTable {
        let mut table = TimerTable::default();
        table.set(Timer::Reconnect, self.reconnect_at);
        if let Some(conn) = &self.current {
            match conn.phase {
                Phase::Opening => table.set(Timer::Connack, Some(conn.open_deadline())),
                Phase::AwaitingConnack { deadline } => table.set(Timer::Connack, Some(deadline)),
                Phase::Connected { .. } if conn.silent_since.is_none() => {
                    table.set(Timer::Ping, conn.ping_due_at());
                    table.set(Timer::PingResponse, conn.ping_response_deadline());
                }
                _ => {}
            }
            table.set(Timer::ReplayQuiet, conn.replay_quiet_at());
        }
        table.set(
            Timer::OutgoingAck,
            self.outgoing
                .values()
                .filter(|o| !o.overdue)
                .map(|o| o.deadline)
                .min(),
        );
        table.set(
            Timer::BrokerAck,
            self.held
                .values()
                .filter(|h| !h.overdue)
                .map(|h| h.broker_deadline)
                .min(),
        );
        // A series pauses while its device reconnects (probes due meanwhile go out on
        // return); without a wish to be online it fires, to stop with its reason.
        let can_send = self.live_socket().is_some() || !self.wants_online;
        table.set(
            Timer::ProbeSeries,
            self.probe_series
                .as_ref()
                .and_then(|r| r.next_at())
                .filter(|_| can_send),
        );
        table
    }

    /// The earliest time `handle_timeout` must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.timer_table().next()
    }

    /// Fires every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let due: Vec<Timer> = self.timer_table().due(now).collect();
        for timer in due {
            self.on_timer(timer, now);
        }
    }

    fn on_timer(&mut self, timer: Timer, now: Millis) {
        match timer {
            Timer::Reconnect => {
                self.reconnect_at = None;
                if self.current.is_none() {
                    self.open_connection(now);
                }
            }
            Timer::Connack => {
                let opening = self
                    .current
                    .as_ref()
                    .is_some_and(|c| c.phase == Phase::Opening);
                let reason = if opening {
                    CloseReason::OpenTimeout
                } else {
                    CloseReason::ConnackTimeout
                };
                self.fail_current(now, reason);
            }
            Timer::PingResponse => self.fail_current(now, CloseReason::PingTimeout),
            Timer::ReplayQuiet => {
                if let Some(c) = self.current.as_mut() {
                    c.end_replay();
                }
            }
            Timer::Ping => {
                let Some(socket) = self.live_socket() else {
                    return;
                };
                self.send_packet(
                    socket,
                    &VariablePacket::PingreqPacket(PingreqPacket::new()),
                    now,
                );
                if let Some(c) = self.current.as_mut() {
                    c.ping_sent_at = Some(now);
                }
            }
            Timer::OutgoingAck => {
                for (id, o) in self.outgoing.iter_mut() {
                    if !o.overdue && o.deadline <= now {
                        o.overdue = true;
                        self.events.push_back(Event::AckOverdue {
                            at: now,
                            packet_id: *id,
                        });
                    }
                }
            }
            Timer::BrokerAck => {
                for ((_, id), h) in self.held.iter_mut() {
                    if !h.overdue && h.broker_deadline <= now {
                        h.overdue = true;
                        self.events.push_back(Event::BrokerAckTimeout {
                            at: now,
                            packet_id: *id,
                        });
                    }
                }
            }
            Timer::ProbeSeries => self.probe_series_tick(now),
        }
    }
}
