//! The truth table: named cases, each an event sequence on one page of devices and the
//! findings it must (and must not) give.
//!
//! - `wrong_*`: a false positive or false negative the rules gave before issue 11, with the
//!   truth; each failed before the fix.
//! - `fires_*`: a rule's evidence, with its severity.
//! - `healthy_*`: a twin where a rule must stay silent.
//!
//! `every_rule_has_a_firing_case_and_a_healthy_twin` keeps the table complete.

use super::testkit::*;
use super::*;
use crate::profile::BrokerProfile;
use crate::session::CloseReason;
use crate::verdicts::{Evidence, VerdictKind};
use Severity::*;

/// What a case expects.
enum Check {
    /// This rule fires for this device with this severity.
    Fires(u32, &'static str, Severity),
    /// This rule does not fire for any device.
    Silent(&'static str),
    /// No finding at all.
    Nothing,
    /// The rule's evidence or explanation (English) contains this.
    Says(&'static str, &'static str),
    /// ... and does not contain this.
    NotSays(&'static str, &'static str),
    /// The rule's countdown.
    Remaining(&'static str, Millis),
}

struct Case {
    world: World,
    now: Millis,
    checks: Vec<Check>,
}

impl Case {
    fn at(world: World, now: Millis) -> Self {
        Case {
            world,
            now,
            checks: vec![],
        }
    }
    fn fires(mut self, device: u32, rule: &'static str, severity: Severity) -> Self {
        self.checks.push(Check::Fires(device, rule, severity));
        self
    }
    fn silent(mut self, rule: &'static str) -> Self {
        self.checks.push(Check::Silent(rule));
        self
    }
    fn nothing(mut self) -> Self {
        self.checks.push(Check::Nothing);
        self
    }
    fn says(mut self, rule: &'static str, text: &'static str) -> Self {
        self.checks.push(Check::Says(rule, text));
        self
    }
    fn not_says(mut self, rule: &'static str, text: &'static str) -> Self {
        self.checks.push(Check::NotSays(rule, text));
        self
    }
    fn remaining(mut self, rule: &'static str, ms: Millis) -> Self {
        self.checks.push(Check::Remaining(rule, ms));
        self
    }
}

fn run(name: &str, case: Case) {
    let findings = case.world.findings(case.now);
    let shown: Vec<String> = findings
        .iter()
        .map(|f| format!("{}:{}:{}", f.device, f.rule, f.severity.as_str()))
        .collect();
    let text = |rule: &str| -> String {
        findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| format!("{} {} {}", f.evidence.en, f.explanation.en, f.fix.en))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    for check in &case.checks {
        match check {
            Check::Fires(device, rule, severity) => assert!(
                findings
                    .iter()
                    .any(|f| f.device == *device && f.rule == *rule && f.severity == *severity),
                "{name}: expected {device}:{rule}:{}, got {shown:?}",
                severity.as_str()
            ),
            Check::Silent(rule) => assert!(
                !findings.iter().any(|f| f.rule == *rule),
                "{name}: {rule} must stay silent: {}",
                text(rule)
            ),
            Check::Nothing => assert!(
                findings.is_empty(),
                "{name}: expected nothing, got {shown:?}"
            ),
            Check::Says(rule, s) => assert!(
                text(rule).contains(s),
                "{name}: {rule} must say {s:?}: {}",
                text(rule)
            ),
            Check::NotSays(rule, s) => assert!(
                !text(rule).contains(s),
                "{name}: {rule} must not say {s:?}: {}",
                text(rule)
            ),
            Check::Remaining(rule, ms) => assert_eq!(
                findings
                    .iter()
                    .find(|f| f.rule == *rule)
                    .and_then(|f| f.remaining_ms),
                Some(*ms),
                "{name}: {rule}'s countdown"
            ),
        }
    }
    for f in &findings {
        assert!(
            RULES.contains(&f.rule),
            "{name}: {} is a listed rule",
            f.rule
        );
        assert!(
            !repeats_fix_label(&f.fix),
            "{name}: {}'s fix repeats its label: {:?}",
            f.rule,
            fix_line(&f.fix).en
        );
        for t in [&f.evidence, &f.explanation, &f.fix] {
            assert!(
                !t.en.is_empty() && !t.zh.is_empty(),
                "{name}: {} has text in both languages",
                f.rule
            );
        }
    }
}

/// The seed scenario done right: a persistent QoS 1 receiver away, a QoS 1 probe series,
/// the receiver back with its session and every probe offline.
fn seed() -> World {
    let mut w = World::of(vec![
        dev("GID_test@@@rx", false),
        dev("GID_test@@@tx", true),
    ]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "seed/t", 1)
        .drop_socket(2_000);
    w[1].connect(2_500, false);
    let sent = w[1].probe_series(3_000, "s1", "seed/t", 1, 5, 5, 50);
    w[0].connect(60_000, true);
    for (seq, at) in sent {
        w[0].receive(
            60_010 + Millis::from(seq),
            msg("seed/t", "").probe("s1", seq, at).offline(),
        );
    }
    w
}

/// A persistent QoS 1 subscriber to `topic`, then away (socket dropped) at 2 s.
fn persistent_away(client_id: &str, topic: &str) -> Dev {
    let mut d = dev(client_id, false);
    d.connect(1_000, false)
        .subscribe(1_100, topic, 1)
        .drop_socket(2_000);
    d
}

/// A device that went silent at 10 s with three QoS 1 messages pushed into its dead socket.
fn silent_with_pushes() -> Dev {
    let mut d = dev("rx", false);
    d.connect(1_000, false)
        .subscribe(1_100, "t", 1)
        .go_silent(10_000);
    for (i, at) in [11_000, 11_500, 12_000].into_iter().enumerate() {
        d.receive(at, msg("t", &format!("m{i}")).dead());
    }
    d
}

/// The broker closes the connection right after the PUBLISH the device resends on every
/// reconnect (a refused topic): three rounds.
fn refused_publish_loop() -> Dev {
    let mut d = dev("pub", false);
    d.connect(1_000, false);
    let id = d.publish_unacked(1_100, "acl/denied", 1);
    d.lost(1_150);
    for round in 1..=3u64 {
        let at = 1_000 + round * 2_000;
        d.connect(at, true)
            .resend(at, "acl/denied", 1, id)
            .lost(at + 50);
    }
    d
}

mod cases {
    use super::*;

    // ---- the seed ---------------------------------------------------------------------

    pub fn healthy_seed_scenario_has_no_findings() -> Case {
        Case::at(seed(), 61_000).nothing()
    }

    // ---- clean-session ----------------------------------------------------------------

    pub fn wrong_clean_session_warned_a_live_dashboard() -> Case {
        // Before: a warning for every live-only subscriber. Nothing is offline: advice.
        let mut w = World::of(vec![dev("dash", true)]);
        w[0].connect(1_000, false).subscribe(1_100, "t/#", 0);
        Case::at(w, 2_000)
            .fires(0, "clean-session", Info)
            .silent("qos0-granted")
    }

    pub fn wrong_clean_session_missed_clean_subscribe_then_persistent_reconnect() -> Case {
        // Subscribed with cleanSession=1, came back with cleanSession=0: Session Present = 0,
        // nothing kept meanwhile, and nothing fired.
        let mut w = World::of(vec![dev("rx", true)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .disconnect(2_000);
        w[0].settings.clean_session = false;
        w[0].connect(30_000, false);
        Case::at(w, 31_000)
            .fires(0, "clean-session", Warning)
            .says("clean-session", "Session Present = 0")
    }

    pub fn wrong_facts_came_from_the_form_not_the_connect() -> Case {
        // Connected clean, then cleanSession unticked in the form without reconnecting: the
        // broker's session is still a clean one.
        let mut w = World::of(vec![dev("rx", true), dev("tx", true)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .disconnect(2_000);
        w[0].settings.clean_session = false;
        w[1].connect(2_500, false).publish(3_000, "t", 1);
        Case::at(w, 4_000).fires(0, "clean-session", Error)
    }

    pub fn fires_clean_session_error_for_messages_published_while_away() -> Case {
        let mut w = World::of(vec![dev("rx", true), dev("tx", true)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t/+", 1)
            .drop_socket(2_000);
        w[1].connect(2_500, false)
            .publish(3_000, "t/1", 1)
            .publish(3_100, "t/2", 1);
        w[0].connect(10_000, false);
        Case::at(w, 11_000)
            .fires(0, "clean-session", Error)
            .says("clean-session", "2 QoS>0 message(s)")
    }

    pub fn healthy_clean_session_persistent_receiver() -> Case {
        Case::at(seed(), 61_000).silent("clean-session")
    }

    pub fn healthy_clean_session_fixed_by_a_resumed_persistent_session() -> Case {
        let mut w = World::of(vec![dev("rx", true)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .disconnect(2_000);
        w[0].settings.clean_session = false;
        w[0].connect(3_000, false)
            .disconnect(4_000)
            .connect(5_000, true);
        Case::at(w, 6_000).silent("clean-session")
    }

    // ---- qos0-publish -----------------------------------------------------------------

    pub fn fires_qos0_publish_warning_while_the_receiver_is_away() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        Case::at(w, 4_000).fires(1, "qos0-publish", Warning)
    }

    pub fn fires_qos0_publish_error_once_the_receiver_came_back_without_it() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        w[0].connect(10_000, true);
        Case::at(w, 13_000).fires(1, "qos0-publish", Error)
    }

    pub fn healthy_qos0_publish_when_the_broker_kept_it() -> Case {
        // RabbitMQ keeps QoS 0 for an offline session: it came back, nothing was lost.
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        w[0].connect(10_000, true)
            .receive(10_020, msg("t", "q0").qos(0));
        Case::at(w, 13_000).silent("qos0-publish")
    }

    pub fn healthy_qos0_publish_while_the_receiver_is_online() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].connect(1_000, false).subscribe(1_100, "t", 1);
        w[1].connect(1_500, false).publish(3_000, "t", 0);
        Case::at(w, 4_000).silent("qos0-publish")
    }

    pub fn healthy_qos0_publish_cleared_by_a_later_qos1_publish() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[1].connect(2_500, false)
            .publish(3_000, "t", 0)
            .publish(4_000, "t", 1);
        Case::at(w, 5_000).silent("qos0-publish")
    }

    pub fn wrong_qos0_publish_looked_only_at_the_newest_topic() -> Case {
        let mut w = World::of(vec![
            dev("online", false),
            persistent_away("away", "b/y"),
            dev("tx", true),
        ]);
        w[0].connect(1_000, false).subscribe(1_100, "a/x", 1);
        w[2].connect(2_500, false)
            .publish(3_000, "b/y", 0)
            .publish(3_100, "a/x", 0);
        Case::at(w, 4_000)
            .fires(2, "qos0-publish", Warning)
            .says("qos0-publish", "b/y")
    }

    pub fn wrong_qos0_publish_fired_for_a_receiver_that_never_connected() -> Case {
        // A row waiting for the first connect: the broker holds nothing for it.
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].subscribe(500, "t", 1);
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        Case::at(w, 4_000).silent("qos0-publish")
    }

    pub fn wrong_qos0_publish_missed_a_second_loss_after_the_receiver_returned() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[1].connect(2_500, false).publish(3_000, "t", 1);
        w[0].connect(5_000, true)
            .receive(5_010, msg("t", "kept").offline())
            .drop_socket(6_000);
        w[1].publish(7_000, "t", 0).publish(7_100, "log/debug", 0);
        Case::at(w, 8_000)
            .fires(1, "qos0-publish", Warning)
            .says("qos0-publish", "1 QoS 0")
    }

    pub fn wrong_qos0_publish_read_clean_session_from_the_form() -> Case {
        // The receiver's form says clean now; the session the broker keeps was made persistent.
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[0].settings.clean_session = true;
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        Case::at(w, 4_000).fires(1, "qos0-publish", Warning)
    }

    pub fn wrong_offline_unsubscribe_is_still_held_by_the_broker() -> Case {
        // Unsubscribing while offline removes the page's row; the broker still holds it.
        let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
        w[0].unsubscribe(2_100, "t");
        w[1].connect(2_500, false).publish(3_000, "t", 0);
        Case::at(w, 4_000).fires(1, "qos0-publish", Warning)
    }

    pub fn wrong_cross_device_rules_never_compared_brokers() -> Case {
        // Same ClientId on two brokers: no conflict; a QoS 0 publish on another broker loses
        // nothing for this receiver.
        let mut w = World::of(vec![
            dev("same", false),
            dev("same", false),
            dev("tx", true),
        ]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .drop_socket(2_000);
        w[1].connect_to("ws://10.0.0.2:9001/mqtt", 1_500, false);
        w[2].connect_to("ws://10.0.0.2:9001/mqtt", 2_500, false)
            .publish(3_000, "t", 0);
        w[0].connect(4_000, true);
        Case::at(w, 5_000)
            .silent("client-id-conflict")
            .silent("qos0-publish")
    }

    // ---- qos0-granted -----------------------------------------------------------------

    pub fn fires_qos0_granted_for_a_persistent_session() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false).suback(1_100, "t", 1, Some(0));
        Case::at(w, 2_000).fires(0, "qos0-granted", Warning)
    }

    pub fn healthy_qos0_granted_qos1() -> Case {
        Case::at(seed(), 61_000).silent("qos0-granted")
    }

    pub fn wrong_rows_kept_granted_after_session_present_0_with_resubscribe_off() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].settings.resubscribe = false;
        w[0].connect(1_000, false)
            .suback(1_100, "t", 1, Some(0))
            .disconnect(2_000);
        w[0].connect(3_000, false);
        Case::at(w, 4_000)
            .silent("qos0-granted")
            .fires(0, "session-lost", Error)
            .says("session-lost", "holds no subscription")
    }

    // ---- qos2-persistent --------------------------------------------------------------

    pub fn fires_qos2_persistent_for_a_qos2_publish_on_alibaba() -> Case {
        let mut w = World::of(vec![dev("GID_test@@@d", false)]);
        w[0].settings.profile = BrokerProfile::aliyun();
        w[0].connect(1_000, false).publish(1_500, "t", 2);
        Case::at(w, 2_000).fires(0, "qos2-persistent", Warning)
    }

    pub fn wrong_qos2_persistent_judged_qos_the_device_never_used() -> Case {
        // Before: the publish QoS control set to 2 was enough. What went out was QoS 1.
        let mut w = World::of(vec![dev("GID_test@@@d", false)]);
        w[0].settings.profile = BrokerProfile::aliyun();
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .publish(1_500, "t", 1);
        Case::at(w, 2_000)
            .silent("qos2-persistent")
            .silent("qos-meaning")
    }

    // ---- session-lost -----------------------------------------------------------------

    pub fn fires_session_lost_when_a_persistent_session_comes_back_empty() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .drop_socket(2_000)
            .connect(60_000, false);
        Case::at(w, 61_000)
            .fires(0, "session-lost", Error)
            .says("session-lost", "subscribed again after this CONNACK")
    }

    pub fn wrong_session_lost_missed_the_first_persistent_connect() -> Case {
        // A session that expired overnight: the page cannot tell it from a new ClientId.
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false);
        Case::at(w, 2_000)
            .fires(0, "session-lost", Info)
            .says("session-lost", "expired")
    }

    pub fn wrong_session_lost_when_only_the_broker_changed() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .disconnect(2_000);
        w[0].connect_to("ws://10.0.0.2:9001/mqtt", 3_000, false);
        Case::at(w, 4_000).silent("session-lost")
    }

    pub fn wrong_session_lost_said_resubscribes_with_resubscribe_off() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].settings.resubscribe = false;
        w[0].connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .drop_socket(2_000)
            .connect(60_000, false);
        Case::at(w, 61_000)
            .fires(0, "session-lost", Error)
            .says("session-lost", "resubscribe is off")
            .not_says("session-lost", "resubscribes on connect")
    }

    pub fn healthy_session_lost_resumed() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .drop_socket(2_000)
            .connect(60_000, false)
            .disconnect(62_000)
            .connect(63_000, true);
        Case::at(w, 64_000).silent("session-lost")
    }

    // ---- client-id-invalid ------------------------------------------------------------

    pub fn fires_client_id_invalid_on_alibaba() -> Case {
        let mut w = World::of(vec![dev("not-an-aliyun-id", false)]);
        w[0].settings.profile = BrokerProfile::aliyun();
        Case::at(w, 0).fires(0, "client-id-invalid", Error)
    }

    pub fn healthy_client_id_invalid() -> Case {
        let mut w = World::of(vec![dev("GID_test@@@device1", false)]);
        w[0].settings.profile = BrokerProfile::aliyun();
        Case::at(w, 0).silent("client-id-invalid")
    }

    // ---- client-id-changed ------------------------------------------------------------

    pub fn fires_client_id_changed() -> Case {
        let mut w = World::of(vec![dev("a", false)]);
        w[0].connect(1_000, false).disconnect(2_000);
        w[0].settings.auth.client_id = "b".into();
        w[0].connect(3_000, false);
        Case::at(w, 4_000).fires(0, "client-id-changed", Warning)
    }

    pub fn wrong_client_id_changed_warned_forever_after_a_typo_fix() -> Case {
        let mut w = World::of(vec![dev("GID_tset@@@d", false)]);
        w[0].connect(1_000, false).disconnect(2_000);
        w[0].settings.auth.client_id = "GID_test@@@d".into();
        w[0].connect(3_000, true)
            .disconnect(4_000)
            .connect(5_000, true);
        Case::at(w, 6_000).silent("client-id-changed")
    }

    // ---- client-id-conflict -----------------------------------------------------------

    pub fn fires_client_id_conflict_for_two_devices_with_one_id() -> Case {
        let mut w = World::of(vec![dev("same", false), dev("same", false)]);
        w[0].connect(1_000, false);
        w[1].connect(1_500, true);
        Case::at(w, 2_000).fires(0, "client-id-conflict", Error)
    }

    pub fn wrong_client_id_conflict_missed_an_outside_client_reconnecting_after_5_s() -> Case {
        let mut w = World::of(vec![dev("kicked", false)]);
        w[0].connect(1_000, false)
            .lost(9_000)
            .connect(10_000, true)
            .lost(19_000)
            .connect(20_000, true);
        Case::at(w, 21_000).fires(0, "client-id-conflict", Warning)
    }

    pub fn wrong_client_id_conflict_blamed_another_client_for_a_refused_publish() -> Case {
        Case::at(World::of(vec![refused_publish_loop()]), 8_000)
            .silent("client-id-conflict")
            .fires(0, "reconnect-loop", Error)
            .says("reconnect-loop", "PUBLISH to acl/denied")
    }

    pub fn healthy_client_id_conflict_takeover_of_its_own_silent_connection() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .go_silent(2_000)
            .connect(3_000, true)
            .silent_closed(3_010, 2_000, true);
        Case::at(w, 4_000).silent("client-id-conflict")
    }

    pub fn healthy_client_id_conflict_old_kicks_age_out() -> Case {
        let mut w = World::of(vec![dev("kicked", false)]);
        w[0].connect(1_000, false)
            .lost(1_200)
            .connect(2_500, true)
            .lost(2_600);
        Case::at(w, 3_000 + 120_000).silent("client-id-conflict")
    }

    // ---- subscription-limit -----------------------------------------------------------

    fn aliyun_with(held: usize) -> Dev {
        let mut d = dev("GID_test@@@d", false);
        d.settings.profile = BrokerProfile::aliyun();
        d.connect(1_000, false);
        for i in 0..held {
            d.subscribe(1_100, &format!("t/{i}"), 1);
        }
        d
    }

    pub fn wrong_subscription_limit_counted_refused_rows() -> Case {
        let mut d = aliyun_with(29);
        d.suback(1_200, "bad/1", 1, None)
            .suback(1_200, "bad/2", 1, None);
        Case::at(World::of(vec![d]), 2_000).silent("subscription-limit")
    }

    pub fn wrong_subscription_limit_missed_rows_removed_offline() -> Case {
        let mut d = aliyun_with(31);
        d.drop_socket(1_500)
            .unsubscribe(1_600, "t/0")
            .unsubscribe(1_700, "t/1");
        Case::at(World::of(vec![d]), 2_000)
            .fires(0, "subscription-limit", Warning)
            .says("subscription-limit", "the page lists 29")
    }

    pub fn healthy_subscription_limit() -> Case {
        Case::at(World::of(vec![aliyun_with(30)]), 2_000).silent("subscription-limit")
    }

    // ---- published-before-subscribe ---------------------------------------------------

    pub fn fires_published_before_subscribe() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[1].connect(1_000, false).publish(1_500, "t/1", 1);
        w[0].connect(3_000, false).subscribe(3_100, "t/+", 1);
        Case::at(w, 4_000).fires(0, "published-before-subscribe", Error)
    }

    pub fn wrong_published_before_subscribe_when_the_session_existed() -> Case {
        // Session Present = 1: the subscription was there before the page; it arrives offline.
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[1].connect(1_000, false).publish(1_500, "t/1", 1);
        w[0].connect(3_000, true).subscribe(3_000, "t/+", 1);
        Case::at(w, 4_000).silent("published-before-subscribe")
    }

    pub fn wrong_published_before_subscribe_for_a_retained_message() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[1].connect(1_000, false).publish_retained(1_500, "t/1", 1);
        w[0].connect(3_000, false).subscribe(3_100, "t/+", 1);
        Case::at(w, 4_000).silent("published-before-subscribe")
    }

    pub fn wrong_published_before_subscribe_for_a_subscribe_race() -> Case {
        // The PUBLISH left between the SUBSCRIBE and its SUBACK, and was acknowledged after
        // the SUBSCRIBE left: the broker may well have matched it.
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[1].connect(1_000, false);
        w[0].connect(3_000, false).subscribe(3_100, "t/+", 1);
        w[1].publish(3_102, "t/1", 1);
        Case::at(w, 4_000).silent("published-before-subscribe")
    }

    // ---- ack-timeout-pending ----------------------------------------------------------

    pub fn fires_ack_timeout_pending_while_silent() -> Case {
        Case::at(World::of(vec![silent_with_pushes()]), 13_000)
            .fires(0, "ack-timeout-pending", Warning)
            .remaining("ack-timeout-pending", 9_000)
    }

    pub fn wrong_ack_timeout_pending_with_nothing_in_flight() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .go_silent(5_000)
            .connect(7_000, true);
        Case::at(w, 8_000).silent("ack-timeout-pending")
    }

    pub fn wrong_ack_timeout_pending_promised_redelivery_after_the_countdown() -> Case {
        // mosquitto resends at once on takeover, with DUP=1.
        let mut d = silent_with_pushes();
        d.connect(14_000, true);
        for (i, first) in [11_000, 11_500, 12_000].into_iter().enumerate() {
            let at = 14_010 + i as Millis;
            d.receive(at, msg("t", &format!("m{i}")).back_from_dead(first, at));
        }
        d.silent_closed(14_001, 10_000, true);
        Case::at(World::of(vec![d]), 15_000)
            .silent("ack-timeout-pending")
            .fires(0, "late-after-silence", Warning)
    }

    pub fn wrong_ack_timeout_pending_counted_failed_reconnect_attempts() -> Case {
        let mut d = dev("rx", false);
        d.connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .go_silent(10_000);
        d.receive(10_100, msg("t", "m").dead());
        d.attempt_failed(30_000).connect(31_000, true);
        Case::at(World::of(vec![d]), 32_000).silent("ack-timeout-pending")
    }

    pub fn wrong_ack_timeout_pending_started_its_clock_at_the_silence() -> Case {
        // Pushed 8 s into the silence: its clock runs from the push, not from the silence.
        let mut d = dev("rx", false);
        d.settings.profile = BrokerProfile::aliyun();
        d.settings.auth.client_id = "GID_test@@@rx".into();
        d.connect(1_000, false)
            .subscribe(1_100, "t", 1)
            .go_silent(10_000);
        d.receive(18_000, msg("t", "m").dead());
        d.connect(21_000, true);
        Case::at(World::of(vec![d]), 22_000)
            .fires(0, "ack-timeout-pending", Warning)
            .remaining("ack-timeout-pending", 6_000)
    }

    pub fn healthy_ack_timeout_pending_after_a_drop() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .drop_socket(5_000)
            .connect(7_000, true);
        Case::at(w, 8_000).silent("ack-timeout-pending")
    }

    // ---- late-after-silence -----------------------------------------------------------

    pub fn fires_late_after_silence_after_the_ack_timeout() -> Case {
        let mut d = silent_with_pushes();
        d.keepalive = 60;
        d.silent_closed(100_000, 10_000, false)
            .connect(120_000, true);
        for (i, first) in [11_000, 11_500, 12_000].into_iter().enumerate() {
            let at = 120_010 + i as Millis;
            d.receive(at, msg("t", &format!("m{i}")).back_from_dead(first, at));
        }
        Case::at(World::of(vec![d]), 121_000)
            .fires(0, "late-after-silence", Warning)
            .says("late-after-silence", "1.5 x keepalive (60 s here: 90.0 s)")
            .says("late-after-silence", "shorter keepalive")
    }

    pub fn healthy_late_after_silence_nothing_pushed() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .go_silent(2_000)
            .connect(3_000, true);
        Case::at(w, 4_000).silent("late-after-silence")
    }

    // ---- batched-replay ---------------------------------------------------------------

    pub fn wrong_batched_replay_missed_alibabas_second_batch_of_plain_payloads() -> Case {
        // After the burst, the verdicts call plain payloads live: the second batch of 30
        // every 5 s was missed.
        let mut d = dev("GID_test@@@rx", false);
        d.settings.profile = BrokerProfile::aliyun();
        d.connect(1_000, true);
        for i in 0..30 {
            d.receive(1_010 + i, msg("t", &format!("m{i}")).offline());
        }
        for i in 0..5 {
            d.receive(6_020 + i, msg("t", &format!("n{i}")));
        }
        Case::at(World::of(vec![d]), 7_000)
            .fires(0, "batched-replay", Info)
            .says("batched-replay", "30, 5")
    }

    pub fn wrong_batched_replay_ignored_dup_copies_returned_after_an_unseen_takeover() -> Case {
        // Another tab held the session and left 35 unacknowledged: the broker resends them
        // with DUP=1 in batches. They are redelivered and returned with the session; before
        // the fix only `offline` verdicts counted as replayed, so nothing fired.
        let mut d = dev("GID_test@@@rx", false);
        d.settings.profile = BrokerProfile::aliyun();
        d.connect(1_000, true);
        for i in 0..30 {
            d.receive(1_010 + i, msg("t", &format!("m{i}")).returned_dup(10 + i));
        }
        for i in 0..5 {
            d.receive(
                6_020 + i,
                msg("t", &format!("n{i}")).returned_dup(5_020 + i),
            );
        }
        Case::at(World::of(vec![d]), 7_000)
            .fires(0, "batched-replay", Info)
            .says("batched-replay", "30, 5")
    }

    pub fn wrong_batched_replay_blamed_the_broker_for_the_clients_slow_acks() -> Case {
        // Acks withheld 3 s: the broker's inflight window waited for them.
        let mut d = dev("rx", false);
        d.connect(1_000, true);
        for i in 0..20 {
            d.receive_acked(
                1_010 + i,
                msg("t", &format!("m{i}")).offline(),
                Some(4_000 + i),
            );
        }
        for i in 0..20 {
            d.receive(4_050 + i, msg("t", &format!("n{i}")).offline());
        }
        Case::at(World::of(vec![d]), 5_000).silent("batched-replay")
    }

    pub fn healthy_batched_replay_one_burst() -> Case {
        Case::at(seed(), 61_000).silent("batched-replay")
    }

    // ---- topic-mismatch ---------------------------------------------------------------

    pub fn fires_topic_mismatch_for_the_seeds_trailing_slash() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].connect(1_000, false).subscribe(1_100, "t/notice", 1);
        w[1].connect(1_000, false).publish(2_000, "t/notice/", 1);
        Case::at(w, 3_000)
            .fires(1, "topic-mismatch", Warning)
            .says("topic-mismatch", "closest: \"t/notice\"")
    }

    pub fn wrong_topic_mismatch_for_alibaba_p2p_topics() -> Case {
        let mut w = World::of(vec![
            dev("GID_test@@@rx", false),
            dev("GID_test@@@tx", true),
        ]);
        for d in &mut w.devs {
            d.settings.profile = BrokerProfile::aliyun();
        }
        w[0].connect(1_000, false).subscribe(1_100, "parent/t", 1);
        w[1].connect(1_000, false)
            .publish(2_000, "parent/p2p/GID_test@@@rx", 1);
        Case::at(w, 3_000).silent("topic-mismatch")
    }

    pub fn wrong_topic_mismatch_for_shared_subscriptions() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "$share/g/t/#", 1);
        w[1].connect(1_000, false).publish(2_000, "t/1", 1);
        Case::at(w, 3_000).silent("topic-mismatch")
    }

    pub fn wrong_topic_mismatch_counted_a_refused_subscription_as_a_match() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].connect(1_000, false)
            .suback(1_100, "t/1", 1, None)
            .subscribe(1_200, "other", 1);
        w[1].connect(1_000, false).publish(2_000, "t/1", 1);
        Case::at(w, 3_000)
            .fires(1, "topic-mismatch", Warning)
            .fires(0, "subscription-refused", Error)
    }

    pub fn healthy_topic_mismatch() -> Case {
        Case::at(seed(), 61_000).silent("topic-mismatch")
    }

    // ---- auth-shape -------------------------------------------------------------------

    pub fn fires_auth_shape_for_a_password_that_is_not_a_signature() -> Case {
        let mut d = dev("GID_test@@@d", false);
        d.settings.auth.mode = crate::auth::AuthMode::Password;
        d.settings.auth.username = "Signature|AK|post-cn-1".into();
        d.settings.auth.password = "not-a-signature".into();
        Case::at(World::of(vec![d]), 0).fires(0, "auth-shape", Warning)
    }

    pub fn wrong_auth_shape_checked_stale_hidden_fields() -> Case {
        // Signature mode builds username and password: the hidden fields are not sent.
        let mut d = dev("GID_test@@@device1", false);
        d.settings.auth.mode = crate::auth::AuthMode::AliyunSignature;
        d.settings.auth.access_key_id = "AK".into();
        d.settings.auth.access_key_secret = "secret".into();
        d.settings.auth.instance_id = "post-cn-1".into();
        d.settings.auth.username = "alice".into();
        d.settings.auth.password = "7s7KTrjYpV6QqvpQU9tAgXOpkn0=".into();
        Case::at(World::of(vec![d]), 0).silent("auth-shape")
    }

    pub fn wrong_auth_shape_trimmed_a_password_sent_untrimmed() -> Case {
        let mut d = dev("GID_test@@@device1", false);
        d.settings.auth.mode = crate::auth::AuthMode::Password;
        d.settings.auth.username = "Signature|AK|post-cn-1".into();
        d.settings.auth.password = "NW5TXLVdZ6euy8PHOr5pOHx1NjY= ".into();
        Case::at(World::of(vec![d]), 0)
            .fires(0, "auth-shape", Warning)
            .says("auth-shape", "sent as typed")
    }

    pub fn healthy_auth_shape_right_signature() -> Case {
        let mut d = dev("GID_test@@@device1", false);
        d.settings.auth.mode = crate::auth::AuthMode::Password;
        d.settings.auth.username = "Signature|AK|post-cn-1".into();
        d.settings.auth.password = "NW5TXLVdZ6euy8PHOr5pOHx1NjY=".into();
        Case::at(World::of(vec![d]), 0).silent("auth-shape")
    }

    // ---- qos-meaning ------------------------------------------------------------------

    pub fn fires_qos_meaning_for_a_persistent_qos0_subscription() -> Case {
        let mut w = World::of(vec![dev("d", false)]);
        w[0].connect(1_000, false).subscribe(1_100, "t", 0);
        Case::at(w, 2_000).fires(0, "qos-meaning", Info)
    }

    pub fn wrong_qos_meaning_judged_qos_controls_never_used() -> Case {
        // Only QoS 1 went out; what the controls show is not judged.
        let mut w = World::of(vec![dev("d", false)]);
        w[0].connect(1_000, false).subscribe(1_100, "t", 1);
        Case::at(w, 2_000).silent("qos-meaning")
    }

    // ---- probe-gap --------------------------------------------------------------------

    pub fn fires_probe_gap_for_a_loss_at_the_tail() -> Case {
        // mosquitto's max_queued_messages 100: the first 100 of 150 kept, the newest dropped.
        let mut w = World::of(vec![persistent_away("rx", "p"), dev("tx", true)]);
        w[1].connect(2_500, false);
        let sent = w[1].probe_series(3_000, "s1", "p", 1, 150, 150, 10);
        w[0].connect(10_000, true);
        for (seq, at) in sent.into_iter().take(100) {
            w[0].receive(
                10_010 + Millis::from(seq),
                msg("p", "").probe("s1", seq, at).offline(),
            );
        }
        Case::at(w, 30_000)
            .fires(0, "probe-gap", Error)
            .says("probe-gap", "lost at the tail: #101 to #150")
            .says("probe-gap", "offline queue limit")
    }

    pub fn fires_probe_gap_warning_for_a_hole_while_the_series_runs() -> Case {
        let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
        w[0].connect(1_000, false).subscribe(1_100, "p", 1);
        w[1].connect(1_000, false);
        let sent = w[1].probe_series(2_000, "s1", "p", 1, 10, 5, 100);
        for (seq, at) in sent.into_iter().filter(|(s, _)| *s != 3) {
            w[0].receive(at + 5, msg("p", "").probe("s1", seq, at));
        }
        Case::at(w, 2_600)
            .fires(0, "probe-gap", Warning)
            .says("probe-gap", "#3")
    }

    pub fn healthy_probe_gap_every_probe_arrived() -> Case {
        Case::at(seed(), 120_000).silent("probe-gap")
    }

    pub fn healthy_probe_gap_while_the_receiver_is_away() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "p"), dev("tx", true)]);
        w[1].connect(2_500, false);
        w[1].probe_series(3_000, "s1", "p", 1, 5, 5, 10);
        Case::at(w, 60_000).silent("probe-gap")
    }

    // ---- subscription-refused ---------------------------------------------------------

    pub fn fires_subscription_refused() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .suback(1_100, "secret/#", 1, None);
        Case::at(w, 2_000)
            .fires(0, "subscription-refused", Error)
            .says("subscription-refused", "secret/#")
    }

    pub fn healthy_subscription_refused_then_granted() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .suback(1_100, "t", 1, None)
            .suback(1_200, "t", 1, Some(1));
        Case::at(w, 2_000).silent("subscription-refused")
    }

    // ---- publish-abandoned ------------------------------------------------------------

    pub fn fires_publish_abandoned() -> Case {
        let mut d = dev("tx", false);
        d.connect(1_000, false);
        let id = d.publish_unacked(1_100, "t", 1);
        d.lost(1_200)
            .connect(2_500, false)
            .feed(crate::session::Event::Abandoned {
                at: 2_500,
                packet_ids: vec![id],
            });
        Case::at(World::of(vec![d]), 3_000)
            .fires(0, "publish-abandoned", Warning)
            .says("publish-abandoned", "topics t")
    }

    pub fn healthy_publish_abandoned_resent_with_the_session() -> Case {
        let mut d = dev("tx", false);
        d.connect(1_000, false);
        let id = d.publish_unacked(1_100, "t", 1);
        d.lost(1_200).connect(2_500, true).resend(2_500, "t", 1, id);
        Case::at(World::of(vec![d]), 3_000).silent("publish-abandoned")
    }

    // ---- retained-replay --------------------------------------------------------------

    pub fn fires_retained_replay_for_the_stored_and_retained_pair() -> Case {
        let mut w = World::of(vec![persistent_away("rx", "cfg"), dev("tx", true)]);
        w[1].connect(2_500, false).publish_retained(3_000, "cfg", 1);
        w[0].connect(10_000, true)
            .receive(10_010, msg("cfg", "v2").offline())
            .receive(
                10_020,
                msg("cfg", "v2")
                    .retain()
                    .verdict(VerdictKind::Retained, Evidence::RetainedCopy),
            );
        Case::at(w, 11_000)
            .fires(0, "retained-replay", Info)
            .says("retained-replay", "stored copy")
    }

    pub fn healthy_retained_replay_first_delivery() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "cfg", 1)
            .receive(
                1_110,
                msg("cfg", "v1")
                    .retain()
                    .verdict(VerdictKind::Retained, Evidence::RetainFlag),
            );
        Case::at(w, 2_000).silent("retained-replay")
    }

    // ---- overlapping-subscriptions ----------------------------------------------------

    pub fn fires_overlapping_subscriptions_with_both_copies() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "a/#", 1)
            .subscribe(1_200, "a/b", 1)
            .receive(2_000, msg("a/b", "x"))
            .receive(2_001, msg("a/b", "x"));
        Case::at(w, 3_000)
            .fires(0, "overlapping-subscriptions", Warning)
            .says("overlapping-subscriptions", "a/#, a/b")
    }

    pub fn healthy_overlapping_subscriptions_disjoint_filters() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .subscribe(1_100, "a/#", 1)
            .subscribe(1_200, "b/#", 1)
            .receive(2_000, msg("a/b", "x"));
        Case::at(w, 3_000).silent("overlapping-subscriptions")
    }

    // ---- packet-id-reuse --------------------------------------------------------------

    pub fn fires_packet_id_reuse() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false)
            .feed(crate::session::Event::PacketIdReused {
                at: 2_000,
                packet_id: 7,
            });
        Case::at(w, 3_000).fires(0, "packet-id-reuse", Error)
    }

    pub fn healthy_packet_id_reuse() -> Case {
        Case::at(seed(), 61_000).silent("packet-id-reuse")
    }

    // ---- reconnect-loop ---------------------------------------------------------------

    pub fn fires_reconnect_loop_when_the_session_stopped_reconnecting() -> Case {
        let mut d = dev("rx", false);
        let reason = CloseReason::UnexpectedPacket("CONNACK".into());
        for i in 0..5u64 {
            d.connect(1_000 + i * 2_000, false)
                .closed_for(1_100 + i * 2_000, reason.clone());
        }
        d.feed(crate::session::Event::ReconnectStopped {
            at: 9_100,
            reason,
            failures: 5,
        });
        Case::at(World::of(vec![d]), 10_000)
            .fires(0, "reconnect-loop", Error)
            .says("reconnect-loop", "stopped reconnecting")
    }

    pub fn healthy_reconnect_loop_one_close() -> Case {
        let mut w = World::of(vec![dev("rx", false)]);
        w[0].connect(1_000, false).lost(2_000).connect(3_000, true);
        Case::at(w, 4_000).silent("reconnect-loop")
    }

    pub fn healthy_reconnect_loop_stable_again() -> Case {
        let mut d = refused_publish_loop();
        d.connect(20_000, true);
        Case::at(World::of(vec![d]), 60_000).silent("reconnect-loop")
    }
}

macro_rules! truth_table {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name), cases::$name());
            }
        )*
        const ALL: &[(&str, fn() -> Case)] = &[$((stringify!($name), cases::$name)),*];
    };
}

truth_table!(
    healthy_seed_scenario_has_no_findings,
    wrong_clean_session_warned_a_live_dashboard,
    wrong_clean_session_missed_clean_subscribe_then_persistent_reconnect,
    wrong_facts_came_from_the_form_not_the_connect,
    fires_clean_session_error_for_messages_published_while_away,
    healthy_clean_session_persistent_receiver,
    healthy_clean_session_fixed_by_a_resumed_persistent_session,
    fires_qos0_publish_warning_while_the_receiver_is_away,
    fires_qos0_publish_error_once_the_receiver_came_back_without_it,
    healthy_qos0_publish_when_the_broker_kept_it,
    healthy_qos0_publish_while_the_receiver_is_online,
    healthy_qos0_publish_cleared_by_a_later_qos1_publish,
    wrong_qos0_publish_looked_only_at_the_newest_topic,
    wrong_qos0_publish_fired_for_a_receiver_that_never_connected,
    wrong_qos0_publish_missed_a_second_loss_after_the_receiver_returned,
    wrong_qos0_publish_read_clean_session_from_the_form,
    wrong_offline_unsubscribe_is_still_held_by_the_broker,
    wrong_cross_device_rules_never_compared_brokers,
    fires_qos0_granted_for_a_persistent_session,
    healthy_qos0_granted_qos1,
    wrong_rows_kept_granted_after_session_present_0_with_resubscribe_off,
    fires_qos2_persistent_for_a_qos2_publish_on_alibaba,
    wrong_qos2_persistent_judged_qos_the_device_never_used,
    fires_session_lost_when_a_persistent_session_comes_back_empty,
    wrong_session_lost_missed_the_first_persistent_connect,
    wrong_session_lost_when_only_the_broker_changed,
    wrong_session_lost_said_resubscribes_with_resubscribe_off,
    healthy_session_lost_resumed,
    fires_client_id_invalid_on_alibaba,
    healthy_client_id_invalid,
    fires_client_id_changed,
    wrong_client_id_changed_warned_forever_after_a_typo_fix,
    fires_client_id_conflict_for_two_devices_with_one_id,
    wrong_client_id_conflict_missed_an_outside_client_reconnecting_after_5_s,
    wrong_client_id_conflict_blamed_another_client_for_a_refused_publish,
    healthy_client_id_conflict_takeover_of_its_own_silent_connection,
    healthy_client_id_conflict_old_kicks_age_out,
    wrong_subscription_limit_counted_refused_rows,
    wrong_subscription_limit_missed_rows_removed_offline,
    healthy_subscription_limit,
    fires_published_before_subscribe,
    wrong_published_before_subscribe_when_the_session_existed,
    wrong_published_before_subscribe_for_a_retained_message,
    wrong_published_before_subscribe_for_a_subscribe_race,
    fires_ack_timeout_pending_while_silent,
    wrong_ack_timeout_pending_with_nothing_in_flight,
    wrong_ack_timeout_pending_promised_redelivery_after_the_countdown,
    wrong_ack_timeout_pending_counted_failed_reconnect_attempts,
    wrong_ack_timeout_pending_started_its_clock_at_the_silence,
    healthy_ack_timeout_pending_after_a_drop,
    fires_late_after_silence_after_the_ack_timeout,
    healthy_late_after_silence_nothing_pushed,
    wrong_batched_replay_missed_alibabas_second_batch_of_plain_payloads,
    wrong_batched_replay_ignored_dup_copies_returned_after_an_unseen_takeover,
    wrong_batched_replay_blamed_the_broker_for_the_clients_slow_acks,
    healthy_batched_replay_one_burst,
    fires_topic_mismatch_for_the_seeds_trailing_slash,
    wrong_topic_mismatch_for_alibaba_p2p_topics,
    wrong_topic_mismatch_for_shared_subscriptions,
    wrong_topic_mismatch_counted_a_refused_subscription_as_a_match,
    healthy_topic_mismatch,
    fires_auth_shape_for_a_password_that_is_not_a_signature,
    wrong_auth_shape_checked_stale_hidden_fields,
    wrong_auth_shape_trimmed_a_password_sent_untrimmed,
    healthy_auth_shape_right_signature,
    fires_qos_meaning_for_a_persistent_qos0_subscription,
    wrong_qos_meaning_judged_qos_controls_never_used,
    fires_probe_gap_for_a_loss_at_the_tail,
    fires_probe_gap_warning_for_a_hole_while_the_series_runs,
    healthy_probe_gap_every_probe_arrived,
    healthy_probe_gap_while_the_receiver_is_away,
    fires_subscription_refused,
    healthy_subscription_refused_then_granted,
    fires_publish_abandoned,
    healthy_publish_abandoned_resent_with_the_session,
    fires_retained_replay_for_the_stored_and_retained_pair,
    healthy_retained_replay_first_delivery,
    fires_overlapping_subscriptions_with_both_copies,
    healthy_overlapping_subscriptions_disjoint_filters,
    fires_packet_id_reuse,
    healthy_packet_id_reuse,
    fires_reconnect_loop_when_the_session_stopped_reconnecting,
    healthy_reconnect_loop_one_close,
    healthy_reconnect_loop_stable_again,
);

#[test]
fn every_rule_has_a_firing_case_and_a_healthy_twin() {
    for rule in RULES {
        let mut fires = false;
        let mut twin = false;
        for (_, case) in ALL {
            let case = case();
            for check in &case.checks {
                match check {
                    Check::Fires(_, r, _) if *r == rule => fires = true,
                    Check::Silent(r) if *r == rule => twin = true,
                    _ => {}
                }
            }
        }
        assert!(fires, "no case fires {rule}");
        assert!(twin, "no healthy twin for {rule}");
    }
}
