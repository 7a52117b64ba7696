//! Broker facts in the findings: each rule that depends on what a broker keeps or limits
//! (`qos0-publish`, `qos0-granted`, `qos-meaning`, `probe-gap`'s causes) with the facts
//! assumed from the profile (no check yet, and it says "assumed") and measured by a broker
//! check, with both answers a broker can give. Measured facts of one device's check hold for
//! every device on that broker, and for no other broker.

use super::history::broker_key;
use super::testkit::*;
use super::*;
use crate::check::{BrokerFacts, DroppedEnd, Fact, PayloadLimit, QueueLimit};
use crate::profile::BrokerProfile;
use crate::time::Millis;
use Severity::*;

/// Facts a check measured on the local broker: QoS 0 kept offline (publish and grant) and
/// QoS 2 downgraded as `rabbit` says, everything else as the profile assumes.
fn measured(rabbit: bool) -> BrokerFacts {
    BrokerFacts {
        broker: Some(broker_key(LOCAL)),
        qos0_publish_kept: Fact::Measured(rabbit),
        qos0_grant_kept: Fact::Measured(rabbit),
        qos2_downgraded: Fact::Measured(Some(rabbit)),
        ..BrokerFacts::assumed(&BrokerProfile::generic())
    }
}

/// The finding of `rule` at `now`, or a panic naming what fired instead.
fn finding(w: &World, now: Millis, rule: &str) -> Finding {
    w.finding(now, rule)
        .unwrap_or_else(|| panic!("{rule} must fire: {:?}", w.rules(now)))
}

fn text(f: &Finding) -> String {
    format!("{} {} {}", f.evidence.en, f.explanation.en, f.fix.en)
}

fn zh(f: &Finding) -> String {
    format!("{} {} {}", f.evidence.zh, f.explanation.zh, f.fix.zh)
}

fn persistent_away(client_id: &str, topic: &str) -> Dev {
    let mut d = dev(client_id, false);
    d.connect(1_000, false)
        .subscribe(1_100, topic, 1)
        .drop_socket(2_000);
    d
}

/// A receiver away while a QoS 0 message is published; `back`: it returned (with its
/// session) without it.
fn qos0_world(back: bool, facts: Option<BrokerFacts>) -> World {
    let mut w = World::of(vec![persistent_away("rx", "t"), dev("tx", true)]);
    w[1].connect(2_500, false).publish(3_000, "t", 0);
    if back {
        w[0].connect(10_000, true);
    }
    w[1].settings.broker_check = facts;
    w
}

// ---- qos0-publish -----------------------------------------------------------------------

#[test]
fn qos0_publish_while_away_says_assumed_before_a_check() {
    let w = qos0_world(false, None);
    let f = finding(&w, 4_000, "qos0-publish");
    assert_eq!(f.severity, Warning);
    assert!(
        text(&f).contains("assumed (profile generic"),
        "{}",
        text(&f)
    );
    assert!(text(&f).contains("lost for that receiver"), "{}", text(&f));
    assert!(zh(&f).contains("假定"), "{}", zh(&f));
}

#[test]
fn qos0_publish_while_away_on_a_broker_measured_to_keep_qos0_claims_no_loss() {
    let w = qos0_world(false, Some(measured(true)));
    let f = finding(&w, 4_000, "qos0-publish");
    assert_eq!(f.severity, Info);
    let t = text(&f);
    assert!(
        t.contains("measured by the broker check (offline-p0-s1)"),
        "{t}"
    );
    assert!(t.contains("expect them when device 1 comes back"), "{t}");
    assert!(!t.contains("lost") && !t.contains("dropped"), "{t}");
    assert!(zh(&f).contains("实测"), "{}", zh(&f));
}

#[test]
fn qos0_publish_while_away_on_a_broker_measured_to_drop_qos0() {
    let w = qos0_world(false, Some(measured(false)));
    let f = finding(&w, 4_000, "qos0-publish");
    assert_eq!(f.severity, Warning);
    let t = text(&f);
    assert!(
        t.contains("measured by the broker check (offline-p0-s1)"),
        "{t}"
    );
    assert!(t.contains("keeps no QoS 0"), "{t}");
}

#[test]
fn qos0_publish_lost_on_return_assumed_and_measured_both_ways() {
    let f = finding(&qos0_world(true, None), 13_000, "qos0-publish");
    assert_eq!(f.severity, Error);
    assert!(
        text(&f).contains("assumed (profile generic"),
        "{}",
        text(&f)
    );

    let f = finding(
        &qos0_world(true, Some(measured(false))),
        13_000,
        "qos0-publish",
    );
    assert_eq!(f.severity, Error);
    assert!(text(&f).contains("keeps no QoS 0"), "{}", text(&f));
    assert!(text(&f).contains("measured"), "{}", text(&f));

    // Measured to keep QoS 0: the loss is real, but not the broker's QoS 0 policy.
    let f = finding(
        &qos0_world(true, Some(measured(true))),
        13_000,
        "qos0-publish",
    );
    assert_eq!(f.severity, Error);
    let t = text(&f);
    assert!(t.contains("not dropped for being QoS 0"), "{t}");
    assert!(!t.contains("keeps no QoS 0"), "{t}");
}

#[test]
fn qos0_publish_kept_on_a_measured_broker_stays_silent_once_it_came() {
    let mut w = qos0_world(true, Some(measured(true)));
    w[0].receive(10_020, msg("t", "q0").qos(0));
    assert!(!w.rules(13_000).contains(&"qos0-publish"));
}

#[test]
fn a_check_of_another_broker_leaves_the_facts_assumed() {
    let mut other = measured(true);
    other.broker = Some(broker_key("ws://elsewhere.test:9001/mqtt"));
    let f = finding(&qos0_world(false, Some(other)), 4_000, "qos0-publish");
    assert_eq!(f.severity, Warning);
    assert!(text(&f).contains("assumed"), "{}", text(&f));
}

#[test]
fn the_receivers_own_check_counts_too() {
    let mut w = qos0_world(false, None);
    w[0].settings.broker_check = Some(measured(true));
    assert_eq!(finding(&w, 4_000, "qos0-publish").severity, Info);
}

// ---- qos0-granted -----------------------------------------------------------------------

fn granted0(facts: Option<BrokerFacts>) -> Finding {
    let mut w = World::of(vec![dev("rx", false)]);
    w[0].connect(1_000, false).suback(1_100, "t", 1, Some(0));
    w[0].settings.broker_check = facts;
    finding(&w, 2_000, "qos0-granted")
}

#[test]
fn qos0_granted_assumed_then_measured_both_ways() {
    let f = granted0(None);
    assert_eq!(f.severity, Warning);
    assert!(text(&f).contains("nothing is queued"), "{}", text(&f));
    assert!(
        text(&f).contains("assumed (profile generic"),
        "{}",
        text(&f)
    );

    let f = granted0(Some(measured(false)));
    assert_eq!(f.severity, Warning);
    assert!(text(&f).contains("nothing is queued"), "{}", text(&f));
    assert!(
        text(&f).contains("measured by the broker check (offline-p1-s0)"),
        "{}",
        text(&f)
    );

    let f = granted0(Some(measured(true)));
    assert_eq!(f.severity, Info);
    assert!(text(&f).contains("does keep messages"), "{}", text(&f));
    assert!(!text(&f).contains("nothing is queued"), "{}", text(&f));
}

// ---- qos-meaning ------------------------------------------------------------------------

fn meaning(facts: Option<BrokerFacts>) -> String {
    let mut w = World::of(vec![dev("d", false)]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "t", 0)
        .publish(1_200, "t", 2);
    w[0].settings.broker_check = facts;
    let f = finding(&w, 2_000, "qos-meaning");
    assert_eq!(f.severity, Info);
    assert!(!f.explanation.zh.is_empty());
    f.explanation.en
}

#[test]
fn qos_meaning_assumed_then_measured_both_ways() {
    let t = meaning(None);
    assert!(
        t.contains("never queued for an offline device (assumed"),
        "{t}"
    );
    assert!(t.contains("RabbitMQ"), "{t}");

    let t = meaning(Some(measured(true)));
    assert!(
        t.contains("this broker keeps it for an offline persistent session (measured"),
        "{t}"
    );
    assert!(
        t.contains("delivers it as QoS 1 (measured by the broker check (offline-p2-s2))"),
        "{t}"
    );
    assert!(!t.contains("never queued"), "{t}");

    let t = meaning(Some(measured(false)));
    assert!(
        t.contains("never queued for an offline device (measured"),
        "{t}"
    );
    assert!(t.contains("kept as QoS 2 by this broker"), "{t}");
}

// ---- probe-gap: queue limits and payload size ---------------------------------------------

/// 150 probes while the receiver was away; it got back the probes `kept` (by seq). The
/// finding's explanation (the likely causes).
fn gap(kept: impl Fn(u32) -> bool, facts: Option<BrokerFacts>) -> String {
    gap_on(kept, facts, BrokerProfile::generic())
}

/// The same with the receiver on a broker of `profile`.
fn gap_on(
    kept: impl Fn(u32) -> bool,
    facts: Option<BrokerFacts>,
    profile: BrokerProfile,
) -> String {
    let mut rx = persistent_away("rx", "p");
    rx.settings.profile = profile;
    let mut w = World::of(vec![rx, dev("tx", true)]);
    w[1].connect(2_500, false);
    let sent = w[1].probe_series(3_000, "s1", "p", 1, 150, 150, 10);
    w[0].connect(10_000, true);
    for (seq, at) in sent.into_iter().filter(|(seq, _)| kept(*seq)) {
        w[0].receive(
            10_010 + Millis::from(seq),
            msg("p", "").probe("s1", seq, at).offline(),
        );
    }
    w[0].settings.broker_check = facts;
    let f = finding(&w, 30_000, "probe-gap");
    assert_eq!(f.severity, Error);
    assert!(!f.explanation.zh.is_empty());
    f.explanation.en
}

fn with_queue(limit: QueueLimit) -> BrokerFacts {
    BrokerFacts {
        broker: Some(broker_key(LOCAL)),
        queue_limit: Fact::Measured(limit),
        ..BrokerFacts::assumed(&BrokerProfile::generic())
    }
}

fn with_payload(limit: PayloadLimit) -> BrokerFacts {
    BrokerFacts {
        broker: Some(broker_key(LOCAL)),
        max_payload: Fact::Measured(limit),
        ..BrokerFacts::assumed(&BrokerProfile::generic())
    }
}

#[test]
fn probe_gap_queue_limit_assumed_before_a_check() {
    let t = gap(|s| s <= 100, None);
    assert!(t.contains("an offline queue limit that keeps the oldest and drops the newest (assumed (profile generic"), "{t}");
    assert!(t.contains("default 1000; here it kept 100"), "{t}");
}

#[test]
fn probe_gap_oldest_missing_is_no_assumed_queue_limit_but_a_measured_one() {
    // Generic brokers are assumed to drop the newest: a head loss is not that.
    let t = gap(|s| s > 50, None);
    assert!(!t.contains("queue limit"), "{t}");
    // Alibaba's profile says nothing of its queue: either end may be its limit.
    let t = gap_on(|s| s > 50, None, BrokerProfile::aliyun());
    assert!(t.contains("an offline queue limit that keeps the newest and drops the oldest (assumed (profile aliyun"), "{t}");
}

#[test]
fn probe_gap_queue_limit_measured_newest_dropped() {
    let t = gap(
        |s| s <= 100,
        Some(with_queue(QueueLimit::Kept {
            kept: 100,
            dropped: Some(DroppedEnd::Newest),
        })),
    );
    assert!(t.contains("the broker's offline queue limit: it keeps the oldest and drops the newest, 100 kept (measured by the broker check (queue-limit))"), "{t}");
    assert!(!t.contains("default 1000"), "{t}");
}

#[test]
fn probe_gap_queue_limit_measured_oldest_dropped() {
    let facts = with_queue(QueueLimit::Kept {
        kept: 100,
        dropped: Some(DroppedEnd::Oldest),
    });
    // The oldest 50 missing: that broker's limit is the likely cause.
    let t = gap(|s| s > 50, Some(facts.clone()));
    assert!(
        t.contains("keeps the newest and drops the oldest, 100 kept (measured"),
        "{t}"
    );
    // The newest missing on a broker that drops the oldest: not its queue limit.
    let t = gap(|s| s <= 100, Some(facts));
    assert!(!t.contains("queue limit"), "{t}");
}

#[test]
fn probe_gap_no_queue_limit_measured_up_to_more_than_was_kept() {
    let t = gap(|s| s <= 100, Some(with_queue(QueueLimit::AtLeast(2_000))));
    assert!(!t.contains("queue limit"), "{t}");
    // ... but above what the check tried, a limit is still possible.
    let t = gap(|s| s <= 100, Some(with_queue(QueueLimit::AtLeast(50))));
    assert!(
        t.contains("an offline queue limit above the 50 messages the broker check kept (measured"),
        "{t}"
    );
}

#[test]
fn probe_gap_payload_limit_assumed_then_measured_both_ways() {
    let t = gap(|s| s <= 100, None);
    assert!(
        t.contains("a payload size limit (assumed (profile generic"),
        "{t}"
    );
    // Measured: probes (under 100 bytes) pass a 256 KB limit, so it is no cause.
    let t = gap(
        |s| s <= 100,
        Some(with_payload(PayloadLimit::Bytes(262_144))),
    );
    assert!(!t.contains("payload size limit"), "{t}");
    let t = gap(
        |s| s <= 100,
        Some(with_payload(PayloadLimit::AtLeast(4 << 20))),
    );
    assert!(!t.contains("payload size limit"), "{t}");
    let t = gap(|s| s <= 100, Some(with_payload(PayloadLimit::Bytes(40))));
    assert!(
        t.contains("only 40 bytes reach a subscriber (measured by the broker check (max-payload))"),
        "{t}"
    );
}
