//! Verdicts: what an incoming message is, with the evidence and how sure we are.
//!
//! Precedence, strongest first: a retained copy of a message this connection already
//! received, duplicate (already seen), redelivered (DUP=1 or the same message earlier pushed
//! into a dead connection), retained, offline, live. A verdict is certain only when its
//! evidence allows one story; otherwise it is inferred and its text names the stories.

use crate::text::Bilingual;
use crate::time::{format_seconds, format_seconds_zh, Millis};

/// The kind of an incoming message, as `data-verdict` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Certainty {
    Certain,
    Inferred,
}

/// Why a verdict was given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Evidence {
    /// The same probe (series, seq) was received before.
    ProbeSeenBefore { series: String, seq: u32 },
    /// A QoS 2 PUBLISH with a packet id still awaiting PUBREL.
    Qos2IdAwaitingRelease { packet_id: u16 },
    /// The same message was pushed into this device's dead (silent) connection earlier.
    PushedIntoDeadConnection { first_at: Millis, delay_ms: Millis },
    /// DUP=1 in the fixed header.
    DupFlag,
    /// DUP=1 on the first copy this page saw, right after a CONNACK with Session Present = 1
    /// (or a probe sent before it): an earlier copy went to a connection the page did not
    /// see (a takeover, another tab) and came back with the session.
    DupFlagAfterReconnect { after_connack_ms: Millis },
    /// RETAIN=1: sent because a subscription was made, not because it was published now.
    RetainFlag,
    /// RETAIN=1 on a message this connection already received without it: the retained
    /// copy re-sent by the resubscribe (MQTT 3.1.1 3.8.4-3), not a second publish.
    RetainedCopy,
    /// The probe was sent while this device was away (after its last connection ended,
    /// before this CONNACK): published while offline, for certain.
    SentWhileAway { sent_at: Millis, away_since: Millis },
    /// The probe was sent before this device went away: in flight across the reconnect, or
    /// held in the broker's inflight window, then delivered with the session.
    SentBeforeGoingAway { sent_at: Millis, away_since: Millis },
    /// The probe was sent before this connection's CONNACK, and the page saw no earlier
    /// connection of this device: stored while away, or in flight.
    SentBeforeConnect { sent_at: Millis, connack_at: Millis },
    /// It arrived in the burst right after a CONNACK with Session Present = 1.
    ReplayBurst { after_connack_ms: Millis },
    /// QoS 0 inside the replay burst: brokers keep no QoS 0 for an offline session unless
    /// configured to (mosquitto's `queue_qos0_messages`), so most likely live.
    Qos0DuringReplay { after_connack_ms: Millis },
    /// Nothing says otherwise (a probe sent while connected, or no sign of replay).
    NoReplaySign,
}

/// A verdict with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub certainty: Certainty,
    pub evidence: Evidence,
}

impl Verdict {
    /// Whether the message came back with the stored session: offline, or a redelivery of a
    /// copy that went to a dead or unseen connection. The one rule every "returned offline"
    /// count uses (glance, diagnostics).
    pub fn returned_with_session(&self) -> bool {
        returned_with_session(self.kind, &self.evidence)
    }
}

/// [`Verdict::returned_with_session`] for a stored row (kind and evidence kept apart).
pub fn returned_with_session(kind: VerdictKind, evidence: &Evidence) -> bool {
    kind == VerdictKind::Offline
        || matches!(
            evidence,
            Evidence::PushedIntoDeadConnection { .. } | Evidence::DupFlagAfterReconnect { .. }
        )
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
    /// The QoS it was delivered at.
    pub qos: u8,
    /// When the device was last online before this connection, if the page saw it.
    pub away_since: Option<Millis>,
    /// This connection already delivered the same message (probe or topic and payload).
    pub delivered_before_on_connection: bool,
}

/// Classifies one incoming message.
pub fn classify(o: &Observation) -> Verdict {
    use Certainty::*;
    let v = |kind, certainty, evidence| Verdict {
        kind,
        certainty,
        evidence,
    };
    if o.retain && o.delivered_before_on_connection {
        return v(VerdictKind::Retained, Certain, Evidence::RetainedCopy);
    }
    // A QoS 2 PUBLISH resent before PUBREL is the same delivery again (its PUBREC was
    // lost): the application gets it once, so it is no duplicate.
    if let Some(packet_id) = o.qos2_repeat_of {
        return v(
            VerdictKind::Redelivered,
            Certain,
            Evidence::Qos2IdAwaitingRelease { packet_id },
        );
    }
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
        let sent_before_connect = o
            .probe
            .as_ref()
            .is_some_and(|(_, _, sent_at)| *sent_at < o.connack_at);
        let evidence = if o.in_replay_burst || sent_before_connect {
            Evidence::DupFlagAfterReconnect {
                after_connack_ms: o.received_at.saturating_sub(o.connack_at),
            }
        } else {
            Evidence::DupFlag
        };
        return v(VerdictKind::Redelivered, Certain, evidence);
    }
    if o.retain {
        return v(VerdictKind::Retained, Certain, Evidence::RetainFlag);
    }
    if let Some((_, _, sent_at)) = &o.probe {
        let sent_at = *sent_at;
        if sent_at >= o.connack_at {
            return v(VerdictKind::Live, Certain, Evidence::NoReplaySign);
        }
        return match o.away_since {
            Some(away_since) if sent_at >= away_since => v(
                VerdictKind::Offline,
                Certain,
                Evidence::SentWhileAway {
                    sent_at,
                    away_since,
                },
            ),
            Some(away_since) => v(
                VerdictKind::Offline,
                Inferred,
                Evidence::SentBeforeGoingAway {
                    sent_at,
                    away_since,
                },
            ),
            None => v(
                VerdictKind::Offline,
                Inferred,
                Evidence::SentBeforeConnect {
                    sent_at,
                    connack_at: o.connack_at,
                },
            ),
        };
    }
    if o.in_replay_burst && o.qos == 0 {
        return v(
            VerdictKind::Live,
            Inferred,
            Evidence::Qos0DuringReplay {
                after_connack_ms: o.received_at.saturating_sub(o.connack_at),
            },
        );
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

impl Evidence {
    /// The evidence as the message row shows it.
    pub fn text(&self) -> Bilingual {
        match self {
            Evidence::ProbeSeenBefore { series, seq } => Bilingual::new(
                format!("already received probe {series}#{seq}"),
                format!("已收到过的探测 {series}#{seq}"),
            ),
            Evidence::Qos2IdAwaitingRelease { packet_id } => Bilingual::new(
                format!("QoS 2 resend before PUBREL, id {packet_id}: the same delivery again, not a second one"),
                format!("PUBREL 之前的 QoS 2 重发,id {packet_id}:同一次投递的重发,并非第二次投递"),
            ),
            Evidence::PushedIntoDeadConnection { delay_ms, .. } => {
                let (d, z) = (format_seconds(*delay_ms), format_seconds_zh(*delay_ms));
                Bilingual::new(
                    format!("delayed {d}: first pushed into the dead connection"),
                    format!("延迟 {z}:首次推送到失效连接之后"),
                )
            }
            Evidence::DupFlag => Bilingual::new("DUP=1", "DUP=1"),
            Evidence::DupFlagAfterReconnect { after_connack_ms } => {
                let (d, z) = (format_seconds(*after_connack_ms), format_seconds_zh(*after_connack_ms));
                Bilingual::new(
                    format!("DUP=1 on the first copy this page saw, {d} after CONNACK with the session: an earlier copy went to a connection the page did not see (a takeover, another tab) and came back with the session"),
                    format!("本页首次看到的副本带 DUP=1,在恢复会话的 CONNACK 之后 {z}:更早的副本发给了本页未见的连接(被接管、另一个标签页),随会话一起返回"),
                )
            }
            Evidence::RetainFlag => Bilingual::new(
                "RETAIN=1: stored message sent on subscribe",
                "RETAIN=1:订阅时下发的保留消息",
            ),
            Evidence::RetainedCopy => Bilingual::new(
                "RETAIN=1 copy of a message already received: re-sent by the resubscribe (MQTT 3.1.1 3.8.4-3)",
                "已收到消息的 RETAIN=1 副本:因重新订阅而再次下发(MQTT 3.1.1 3.8.4-3)",
            ),
            Evidence::SentWhileAway {
                sent_at,
                away_since,
            } => {
                let (d, z) = (format_seconds(sent_at.saturating_sub(*away_since)), format_seconds_zh(sent_at.saturating_sub(*away_since)));
                Bilingual::new(
                    format!("sent {d} after this device went away"),
                    format!("在本设备离线 {z} 后发送"),
                )
            }
            Evidence::SentBeforeGoingAway {
                sent_at,
                away_since,
            } => {
                let (d, z) = (format_seconds(away_since.saturating_sub(*sent_at)), format_seconds_zh(away_since.saturating_sub(*sent_at)));
                Bilingual::new(
                    format!("sent {d} before this device went away: in flight across the reconnect, or held by the broker's inflight window"),
                    format!("在本设备离线前 {z} 发送:跨越重连时仍在途中,或被服务端的在途窗口扣留"),
                )
            }
            Evidence::SentBeforeConnect {
                sent_at,
                connack_at,
            } => {
                let (d, z) = (format_seconds(connack_at.saturating_sub(*sent_at)), format_seconds_zh(connack_at.saturating_sub(*sent_at)));
                Bilingual::new(
                    format!("sent {d} before this connection's CONNACK; no earlier connection seen: stored while away, or in flight"),
                    format!("在本次连接 CONNACK 之前 {z} 发送;未见更早的连接:离线期间存储,或仍在途中"),
                )
            }
            Evidence::ReplayBurst { after_connack_ms } => Bilingual::new(
                format!("in the replay burst {after_connack_ms} ms after CONNACK with Session Present = 1; stored, or live in the same moment"),
                format!("处于重放突发中,在 Session Present = 1 的 CONNACK 之后 {after_connack_ms} ms;离线存储,或恰在此时实时到达"),
            ),
            Evidence::Qos0DuringReplay { after_connack_ms } => Bilingual::new(
                format!("QoS 0 in the replay burst {after_connack_ms} ms after CONNACK: live, unless this broker keeps QoS 0 for offline sessions (the broker check measures it)"),
                format!("重放突发中的 QoS 0(CONNACK 后 {after_connack_ms} ms):应为实时消息,除非该服务端为离线会话保存 QoS 0(服务端检查可测得)"),
            ),
            Evidence::NoReplaySign => Bilingual::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Observation {
        Observation {
            received_at: 10_000,
            connack_at: 9_000,
            qos: 1,
            away_since: Some(4_000),
            ..Default::default()
        }
    }

    #[test]
    fn a_probe_sent_while_the_device_was_away_is_certainly_offline() {
        let o = Observation {
            probe: Some(("s".into(), 1, 5_000)),
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Offline);
        assert_eq!(verdict.certainty, Certainty::Certain);
        assert!(verdict.evidence.text().en.contains("1.0 s after"));
    }

    #[test]
    fn a_probe_sent_before_the_device_went_away_is_only_inferred_offline() {
        let o = Observation {
            probe: Some(("s".into(), 1, 3_500)),
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Offline);
        assert_eq!(verdict.certainty, Certainty::Inferred);
        assert!(verdict.evidence.text().en.contains("in flight"));
    }

    #[test]
    fn a_probe_from_before_the_first_connect_seen_is_only_inferred_offline() {
        let o = Observation {
            probe: Some(("s".into(), 1, 5_000)),
            away_since: None,
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.certainty, Certainty::Inferred);
        assert!(matches!(
            verdict.evidence,
            Evidence::SentBeforeConnect { .. }
        ));
    }

    #[test]
    fn qos0_in_the_replay_burst_is_inferred_live_and_says_why() {
        let o = Observation {
            in_replay_burst: true,
            qos: 0,
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(
            (verdict.kind, verdict.certainty),
            (VerdictKind::Live, Certainty::Inferred)
        );
        assert!(verdict.evidence.text().en.contains("QoS 0"));
    }

    #[test]
    fn a_retained_copy_of_a_message_already_received_is_retained_not_duplicate() {
        let o = Observation {
            retain: true,
            probe: Some(("s".into(), 1, 5_000)),
            probe_seen_before: true,
            delivered_before_on_connection: true,
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Retained);
        assert_eq!(verdict.evidence, Evidence::RetainedCopy);
    }

    #[test]
    fn every_evidence_but_none_has_text_in_both_languages() {
        for e in [
            Evidence::DupFlag,
            Evidence::DupFlagAfterReconnect {
                after_connack_ms: 3,
            },
            Evidence::RetainedCopy,
            Evidence::ReplayBurst {
                after_connack_ms: 3,
            },
            Evidence::Qos0DuringReplay {
                after_connack_ms: 3,
            },
        ] {
            assert!(!e.text().en.is_empty() && !e.text().zh.is_empty());
        }
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
    fn a_first_dup_copy_after_an_unseen_takeover_returned_with_the_session() {
        // Issue 11: DUP=1 in the replay after Session Present = 1, no copy seen before (the
        // first went to a connection the page did not see): redelivered, and returned offline.
        let o = Observation {
            dup: true,
            in_replay_burst: true,
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.kind, VerdictKind::Redelivered);
        assert_eq!(
            verdict.evidence,
            Evidence::DupFlagAfterReconnect {
                after_connack_ms: 1_000
            }
        );
        assert!(verdict.returned_with_session());
        assert!(verdict.evidence.text().en.contains("did not see"));
        // A probe sent before the CONNACK says the same outside the burst.
        let o = Observation {
            dup: true,
            probe: Some(("s".into(), 1, 8_000)),
            ..base()
        };
        assert!(classify(&o).returned_with_session());
        // A DUP=1 resend on a live connection, sent after the CONNACK, is no return.
        let o = Observation {
            dup: true,
            probe: Some(("s".into(), 1, 9_500)),
            ..base()
        };
        let verdict = classify(&o);
        assert_eq!(verdict.evidence, Evidence::DupFlag);
        assert!(!verdict.returned_with_session());
        assert!(!classify(&Observation {
            dup: true,
            ..base()
        })
        .returned_with_session());
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
