//! Every rule: event sequences that fire it, and healthy ones where it stays silent.

use super::*;
use crate::auth::AuthMode;
use crate::framing::{PacketKind, PacketSummary};
use crate::session::{
    CloseReason, ConnState, Direction, Event, IncomingMessage, PacketRecord, SocketId,
};
use crate::verdicts::{Certainty, Evidence, Verdict, VerdictKind};

struct Dev {
    settings: DeviceSettings,
    history: DeviceHistory,
}

fn dev(client_id: &str, clean_session: bool) -> Dev {
    Dev {
        settings: DeviceSettings {
            clean_session,
            auth: AuthInput {
                client_id: client_id.into(),
                mode: AuthMode::None,
                ..Default::default()
            },
            profile: BrokerProfile::generic(),
            subscriptions: vec![],
            sub_qos_choice: 1,
            pub_qos_choice: 1,
        },
        history: DeviceHistory::default(),
    }
}

impl Dev {
    fn feed(&mut self, e: Event) -> &mut Self {
        self.history.observe(&e);
        self
    }
    fn connected(&mut self, at: Millis, session_present: bool) -> &mut Self {
        let (client_id, clean_session) = (
            self.settings.auth.client_id.clone(),
            self.settings.clean_session,
        );
        self.feed(Event::Connected {
            at,
            session_present,
            clean_session,
            client_id,
        });
        self.feed(Event::State {
            at,
            state: ConnState::Connected,
        })
    }
    fn closed(&mut self, at: Millis, reason: CloseReason) -> &mut Self {
        self.feed(Event::Closed {
            at,
            socket: SocketId(1),
            reason,
        });
        self.feed(Event::State {
            at,
            state: ConnState::Disconnected,
        })
    }
    fn subscribed(&mut self, at: Millis, filter: &str, granted: u8) -> &mut Self {
        self.settings.subscriptions.push(SubscriptionFact {
            filter: filter.into(),
            requested: 1,
            granted: Some(granted),
        });
        self.feed(Event::Subscribed {
            at,
            filter: filter.into(),
            requested: 1,
            granted: Some(granted),
        })
    }
    fn published(&mut self, at: Millis, topic: &str, qos: u8) -> &mut Self {
        self.feed(Event::Packet(PacketRecord {
            at,
            direction: Direction::Out,
            socket: SocketId(1),
            summary: PacketSummary {
                kind: PacketKind::Publish,
                packet_id: None,
                fields: vec![
                    ("topic", topic.into()),
                    ("qos", qos.to_string()),
                    ("dup", "0".into()),
                ],
            },
            raw: vec![],
        }))
    }
    fn offline_message(&mut self, at: Millis) -> &mut Self {
        self.feed(Event::Message(IncomingMessage {
            at,
            socket: SocketId(1),
            topic: "t".into(),
            payload: vec![],
            qos: 1,
            dup: false,
            retain: false,
            packet_id: Some(1),
            probe: None,
            verdict: Verdict {
                kind: VerdictKind::Offline,
                certainty: Certainty::Inferred,
                evidence: Evidence::NoReplaySign,
            },
            into_dead_connection: false,
        }))
    }
}

fn rules_at(now: Millis, devs: &[&Dev]) -> Vec<&'static str> {
    let facts: Vec<DeviceFacts<'_>> = devs
        .iter()
        .enumerate()
        .map(|(i, d)| DeviceFacts {
            device: i as u32,
            settings: &d.settings,
            history: &d.history,
        })
        .collect();
    let mut rules: Vec<&'static str> = diagnose(now, &facts).into_iter().map(|f| f.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    rules
}

/// The seed scenario done right: a persistent QoS 1 receiver, a QoS 1 sender.
fn healthy() -> (Dev, Dev) {
    let mut rx = dev("GID_test@@@rx", false);
    let mut tx = dev("GID_test@@@tx", true);
    rx.connected(1_000, false)
        .subscribed(1_100, "seed/t", 1)
        .closed(2_000, CloseReason::UserDisconnect);
    tx.connected(2_500, false).published(3_000, "seed/t", 1);
    rx.connected(60_000, true).offline_message(60_050);
    (rx, tx)
}

#[test]
fn the_healthy_seed_scenario_has_no_findings() {
    let (rx, tx) = healthy();
    assert_eq!(rules_at(61_000, &[&rx, &tx]), Vec::<&str>::new());
}

#[test]
fn clean_session_fires_for_a_subscriber_that_connects_clean() {
    let mut rx = dev("rx", true);
    rx.connected(1_000, false).subscribed(1_100, "t", 1);
    assert!(rules_at(2_000, &[&rx]).contains(&"clean-session"));
    let (rx, _) = healthy();
    assert!(!rules_at(61_000, &[&rx]).contains(&"clean-session"));
}

#[test]
fn qos0_publish_fires_when_a_persistent_receiver_is_offline() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false)
        .subscribed(1_100, "t", 1)
        .closed(2_000, CloseReason::UserDrop);
    let mut tx = dev("tx", true);
    tx.connected(1_500, false).published(3_000, "t", 0);
    assert!(rules_at(4_000, &[&rx, &tx]).contains(&"qos0-publish"));
    tx.published(4_000, "t", 1);
    assert!(
        !rules_at(5_000, &[&rx, &tx]).contains(&"qos0-publish"),
        "a QoS 1 publish clears it"
    );
}

#[test]
fn qos0_publish_is_silent_while_the_receiver_is_online() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false).subscribed(1_100, "t", 1);
    let mut tx = dev("tx", true);
    tx.connected(1_500, false).published(3_000, "t", 0);
    assert!(!rules_at(4_000, &[&rx, &tx]).contains(&"qos0-publish"));
}

#[test]
fn qos0_granted_fires_on_a_suback_of_zero() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false).subscribed(1_100, "t", 0);
    assert!(rules_at(2_000, &[&rx]).contains(&"qos0-granted"));
}

#[test]
fn qos2_persistent_fires_only_on_a_profile_without_it() {
    let mut d = dev("GID_test@@@d", false);
    d.settings.pub_qos_choice = 2;
    assert!(!rules_at(0, &[&d]).contains(&"qos2-persistent"));
    d.settings.profile = BrokerProfile::aliyun();
    assert!(rules_at(0, &[&d]).contains(&"qos2-persistent"));
    d.settings.clean_session = true;
    assert!(!rules_at(0, &[&d]).contains(&"qos2-persistent"));
}

#[test]
fn session_lost_fires_when_a_persistent_session_comes_back_empty() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false)
        .closed(2_000, CloseReason::UserDrop)
        .connected(60_000, false);
    assert!(rules_at(61_000, &[&rx]).contains(&"session-lost"));
    rx.closed(62_000, CloseReason::UserDisconnect)
        .connected(63_000, true);
    assert!(
        !rules_at(64_000, &[&rx]).contains(&"session-lost"),
        "a resumed session clears it"
    );
}

#[test]
fn client_id_invalid_checks_the_profiles_rules() {
    let mut d = dev("not-an-aliyun-id", false);
    assert!(!rules_at(0, &[&d]).contains(&"client-id-invalid"));
    d.settings.profile = BrokerProfile::aliyun();
    assert!(rules_at(0, &[&d]).contains(&"client-id-invalid"));
    d.settings.auth.client_id = "GID_test@@@device1".into();
    assert!(!rules_at(0, &[&d]).contains(&"client-id-invalid"));
}

#[test]
fn client_id_changed_fires_when_the_id_moves_away_from_a_persistent_session() {
    let mut d = dev("a", false);
    d.connected(1_000, false)
        .closed(2_000, CloseReason::UserDisconnect);
    d.settings.auth.client_id = "b".into();
    d.connected(3_000, false);
    assert!(rules_at(4_000, &[&d]).contains(&"client-id-changed"));
}

#[test]
fn client_id_conflict_fires_for_two_devices_with_one_id_and_for_repeated_kicks() {
    let mut a = dev("same", false);
    let mut b = dev("same", false);
    a.connected(1_000, false);
    b.connected(1_500, true);
    assert!(rules_at(2_000, &[&a, &b]).contains(&"client-id-conflict"));

    let mut c = dev("kicked", false);
    c.connected(1_000, false)
        .closed(1_200, CloseReason::SocketClosed)
        .connected(2_500, true)
        .closed(2_600, CloseReason::SocketClosed);
    assert!(rules_at(3_000, &[&c]).contains(&"client-id-conflict"));
    assert!(
        !rules_at(3_000 + 120_000, &[&c]).contains(&"client-id-conflict"),
        "old kicks age out"
    );
}

#[test]
fn subscription_limit_fires_past_the_profiles_limit() {
    let mut d = dev("GID_test@@@d", false);
    d.settings.profile = BrokerProfile::aliyun();
    for i in 0..31 {
        d.subscribed(1_000, &format!("t/{i}"), 1);
    }
    assert!(rules_at(2_000, &[&d]).contains(&"subscription-limit"));
    d.settings.subscriptions.pop();
    assert!(!rules_at(2_000, &[&d]).contains(&"subscription-limit"));
}

#[test]
fn published_before_subscribe_fires_when_the_sender_came_first() {
    let mut tx = dev("tx", true);
    tx.connected(1_000, false).published(1_500, "t/1", 1);
    let mut rx = dev("rx", false);
    rx.connected(2_000, false).subscribed(2_100, "t/+", 1);
    assert!(rules_at(3_000, &[&rx, &tx]).contains(&"published-before-subscribe"));
}

#[test]
fn ack_timeout_pending_counts_down_and_clears() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false)
        .feed(Event::State {
            at: 5_000,
            state: ConnState::Silent,
        })
        .connected(7_000, true);
    let facts = [DeviceFacts {
        device: 0,
        settings: &rx.settings,
        history: &rx.history,
    }];
    let f = diagnose(8_000, &facts)
        .into_iter()
        .find(|f| f.rule == "ack-timeout-pending")
        .expect("fires");
    assert_eq!(f.remaining_ms, Some(7_000));
    assert!(!rules_at(15_000, &[&rx]).contains(&"ack-timeout-pending"));
}

#[test]
fn ack_timeout_pending_has_no_clock_after_a_drop() {
    // The broker notices a closed socket at once.
    let mut rx = dev("rx", false);
    rx.connected(1_000, false)
        .closed(5_000, CloseReason::UserDrop)
        .connected(7_000, true);
    assert!(!rules_at(8_000, &[&rx]).contains(&"ack-timeout-pending"));
}

#[test]
fn ack_timeout_pending_is_silent_after_a_long_absence() {
    let (rx, _) = healthy();
    assert!(!rules_at(61_000, &[&rx]).contains(&"ack-timeout-pending"));
}

#[test]
fn batched_replay_fires_for_paced_offline_arrivals() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, true);
    for i in 0..30 {
        rx.offline_message(1_100 + i);
    }
    rx.offline_message(6_200);
    assert!(rules_at(7_000, &[&rx]).contains(&"batched-replay"));
    let (rx, _) = healthy();
    assert!(!rules_at(61_000, &[&rx]).contains(&"batched-replay"));
}

#[test]
fn topic_mismatch_fires_for_the_seeds_trailing_slash() {
    let mut rx = dev("rx", false);
    rx.connected(1_000, false).subscribed(1_100, "t/notice", 1);
    let mut tx = dev("tx", true);
    tx.connected(1_000, false).published(2_000, "t/notice/", 1);
    let facts = [
        DeviceFacts {
            device: 0,
            settings: &rx.settings,
            history: &rx.history,
        },
        DeviceFacts {
            device: 1,
            settings: &tx.settings,
            history: &tx.history,
        },
    ];
    let f = diagnose(3_000, &facts)
        .into_iter()
        .find(|f| f.rule == "topic-mismatch")
        .expect("fires");
    assert!(f.evidence.en.contains("closest: \"t/notice\""));
    tx.published(3_000, "t/notice", 1);
    assert!(!rules_at(4_000, &[&rx, &tx]).contains(&"topic-mismatch"));
}

#[test]
fn auth_shape_fires_for_a_password_that_is_not_a_signature() {
    let mut d = dev("GID_test@@@d", false);
    d.settings.auth.mode = AuthMode::Password;
    d.settings.auth.username = "Signature|AK|post-cn-1".into();
    d.settings.auth.password = "not-a-signature".into();
    assert!(rules_at(0, &[&d]).contains(&"auth-shape"));
}

#[test]
fn qos_meaning_explains_when_a_persistent_device_picks_qos_other_than_1() {
    let mut d = dev("d", false);
    assert!(!rules_at(0, &[&d]).contains(&"qos-meaning"));
    d.settings.sub_qos_choice = 0;
    assert!(rules_at(0, &[&d]).contains(&"qos-meaning"));
}

#[test]
fn every_finding_has_text_in_both_languages() {
    let mut rx = dev("rx", true);
    rx.connected(1_000, false).subscribed(1_100, "t", 0);
    let facts = [DeviceFacts {
        device: 0,
        settings: &rx.settings,
        history: &rx.history,
    }];
    for f in diagnose(2_000, &facts) {
        for t in [&f.evidence, &f.explanation, &f.fix] {
            assert!(!t.en.is_empty() && !t.zh.is_empty(), "{}", f.rule);
        }
    }
}
