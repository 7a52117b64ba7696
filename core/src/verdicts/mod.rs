//! Verdicts: what an incoming message is, with the evidence and how sure we are.
//!
//! Precedence, strongest first: duplicate (already seen), redelivered (DUP=1 or the same
//! message earlier pushed into a dead connection), retained, offline, live.

use crate::time::Millis;

/// The kind of an incoming message, as `data-verdict` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerdictKind {
    Live,
    Offline,
    Retained,
    Redelivered,
    Duplicate,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Live => "live",
            VerdictKind::Offline => "offline",
            VerdictKind::Retained => "retained",
            VerdictKind::Redelivered => "redelivered",
            VerdictKind::Duplicate => "duplicate",
        }
    }
}

/// Certain: a probe header, a flag or a packet id proves it. Inferred: timing suggests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Certainty {
    Certain,
    Inferred,
}

/// Why a verdict was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The same probe (series, seq) was received before.
    ProbeSeenBefore { series: String, seq: u32 },
    /// A QoS 2 PUBLISH with a packet id still awaiting PUBREL.
    Qos2IdAwaitingRelease { packet_id: u16 },
    /// The same message was pushed into this device's dead (silent) connection earlier.
    PushedIntoDeadConnection { first_at: Millis, delay_ms: Millis },
    /// DUP=1 in the fixed header.
    DupFlag,
    /// RETAIN=1: sent because a subscription was made, not because it was published now.
    RetainFlag,
    /// The probe was sent before this connection's CONNACK.
    SentBeforeConnect { sent_at: Millis, connack_at: Millis },
    /// It arrived in the burst right after a CONNACK with Session Present = 1.
    ReplayBurst { after_connack_ms: Millis },
    /// Nothing says otherwise (a probe sent while connected, or no sign of replay).
    NoReplaySign,
}

/// A verdict with its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub certainty: Certainty,
    pub evidence: Evidence,
}

/// What the session knows when a message arrives.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    pub dup: bool,
    pub retain: bool,
    pub received_at: Millis,
    /// Probe header: (series, seq, sent_at).
    pub probe: Option<(String, u32, Millis)>,
    pub probe_seen_before: bool,
    pub qos2_repeat_of: Option<u16>,
    pub dead_delivery_at: Option<Millis>,
    /// CONNACK time of the connection it came on.
    pub connack_at: Millis,
    /// Whether it arrived inside the replay burst after a Session Present = 1 CONNACK.
    pub in_replay_burst: bool,
}

/// Classifies one incoming message.
pub fn classify(o: &Observation) -> Verdict {
    use Certainty::*;
    let v = |kind, certainty, evidence| Verdict {
        kind,
        certainty,
        evidence,
    };
    if let (Some((series, seq, _)), true) = (&o.probe, o.probe_seen_before) {
        return v(
            VerdictKind::Duplicate,
            Certain,
            Evidence::ProbeSeenBefore {
                series: series.clone(),
                seq: *seq,
            },
        );
    }
    if let Some(packet_id) = o.qos2_repeat_of {
        return v(
            VerdictKind::Duplicate,
            Certain,
            Evidence::Qos2IdAwaitingRelease { packet_id },
        );
    }
    if let Some(first_at) = o.dead_delivery_at {
        return v(
            VerdictKind::Redelivered,
            Certain,
            Evidence::PushedIntoDeadConnection {
                first_at,
                delay_ms: o.received_at.saturating_sub(first_at),
            },
        );
    }
    if o.dup {
        return v(VerdictKind::Redelivered, Certain, Evidence::DupFlag);
    }
    if o.retain {
        return v(VerdictKind::Retained, Certain, Evidence::RetainFlag);
    }
    if let Some((_, _, sent_at)) = &o.probe {
        return if *sent_at < o.connack_at {
            v(
                VerdictKind::Offline,
                Certain,
                Evidence::SentBeforeConnect {
                    sent_at: *sent_at,
                    connack_at: o.connack_at,
                },
            )
        } else {
            v(VerdictKind::Live, Certain, Evidence::NoReplaySign)
        };
    }
    if o.in_replay_burst {
        return v(
            VerdictKind::Offline,
            Inferred,
            Evidence::ReplayBurst {
                after_connack_ms: o.received_at.saturating_sub(o.connack_at),
            },
        );
    }
    v(VerdictKind::Live, Inferred, Evidence::NoReplaySign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Observation {
        Observation {
            received_at: 10_000,
            connack_at: 9_000,
            ..Default::default()
        }
    }

    #[test]
    fn a_probe_sent_before_the_connack_is_certainly_offline() {
        let o = Observation {
            probe: Some(("s".into(), 1, 5_000)),
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Offline);
        assert_eq!(verdict.certainty, Certainty::Certain);
    }

    #[test]
    fn a_probe_sent_after_the_connack_is_live() {
        let o = Observation {
            probe: Some(("s".into(), 1, 9_500)),
            ..base()
        };
        assert_eq!(classify(&o).kind, VerdictKind::Live);
    }

    #[test]
    fn a_plain_message_in_the_replay_burst_is_inferred_offline() {
        let o = Observation {
            in_replay_burst: true,
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Offline);
        assert_eq!(verdict.certainty, Certainty::Inferred);
    }

    #[test]
    fn dup_beats_offline_and_retain() {
        let o = Observation {
            dup: true,
            retain: true,
            probe: Some(("s".into(), 1, 5_000)),
            ..base()
        };
        assert_eq!(classify(&o).kind, VerdictKind::Redelivered);
    }

    #[test]
    fn a_seen_probe_is_a_duplicate_even_with_dup_set() {
        let o = Observation {
            dup: true,
            probe: Some(("s".into(), 1, 5_000)),
            probe_seen_before: true,
            ..base()
        };
        assert_eq!(classify(&o).kind, VerdictKind::Duplicate);
    }

    #[test]
    fn a_message_first_pushed_into_a_dead_connection_carries_its_delay() {
        let o = Observation {
            dup: true,
            dead_delivery_at: Some(4_000),
            ..base()
        };
        assert_eq!(
            classify(&o).evidence,
            Evidence::PushedIntoDeadConnection {
                first_at: 4_000,
                delay_ms: 6_000
            }
        );
    }

    #[test]
    fn retained_without_dup_is_retained() {
        let o = Observation {
            retain: true,
            ..base()
        };
        assert_eq!(classify(&o).kind, VerdictKind::Retained);
    }

    #[test]
    fn nothing_special_is_live() {
        assert_eq!(classify(&base()).kind, VerdictKind::Live);
    }
}
