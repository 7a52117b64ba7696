//! `BrokerFacts` from a real run against scripted brokers: RabbitMQ-like and mosquitto-like
//! answers become measured facts; rows that did not run stay assumed; a report survives a
//! file (a recording keeps it with serde).

use super::broker::{run, Broker, Oversize, Rules};
use super::{base, options, START};
use crate::check::*;
use crate::profile::BrokerProfile;

fn report(rules: Rules, options: CheckOptions) -> CheckReport {
    let mut check = BrokerCheck::new(base(), None, options).expect("valid");
    let mut broker = Broker::new(rules);
    let end = run(&mut check, &mut broker, START, |_, _| false);
    check.report(end)
}

const FACT_ROWS: [&str; 6] = [
    "offline-p0-s1",
    "offline-p1-s0",
    "offline-p2-s2",
    "queue-limit",
    "max-payload",
    "keepalive-close",
];

fn small(only: &[&str]) -> CheckOptions {
    CheckOptions {
        queue_limit: 150,
        max_payload: 64 * 1024,
        ..options(only)
    }
}

#[test]
fn a_rabbitmq_like_broker_is_measured_to_keep_qos0_and_downgrade_qos2() {
    let r = report(
        Rules {
            queue_qos0: true,
            max_qos: 1,
            qos2_publish_as_qos1: true,
            max_queued: 100,
            max_payload: 50_000,
            oversize: Oversize::Discard,
            ..Rules::default()
        },
        small(&FACT_ROWS),
    );
    let f = BrokerFacts::measured(&r, &BrokerProfile::generic());
    assert_eq!(f.broker.as_deref(), Some("broker.test:9001"));
    assert_eq!(f.qos0_publish_kept, Fact::Measured(true));
    assert_eq!(f.qos0_grant_kept, Fact::Measured(true));
    assert_eq!(f.qos2_downgraded, Fact::Measured(Some(true)));
    assert_eq!(
        f.queue_limit,
        Fact::Measured(QueueLimit::Kept {
            kept: 100,
            dropped: Some(DroppedEnd::Newest)
        })
    );
    assert_eq!(f.max_payload, Fact::Measured(PayloadLimit::Bytes(50_000)));
    assert!(matches!(f.keepalive_close, Fact::Measured(Some((_, 5)))));
    assert_eq!(f.ack_timeout_ms, Fact::Assumed(10_000));
    let label = f.label(&f.qos0_publish_kept, QOS0_PUBLISH_CHECK);
    assert!(label
        .en
        .contains("measured by the broker check (offline-p0-s1)"));
    assert!(label.zh.contains("offline-p0-s1"));
}

#[test]
fn a_mosquitto_like_broker_is_measured_to_drop_qos0_and_keep_qos2() {
    let r = report(
        Rules {
            max_queued: 1_000_000,
            max_payload: usize::MAX,
            ..Rules::default()
        },
        small(&FACT_ROWS),
    );
    let f = BrokerFacts::measured(&r, &BrokerProfile::generic());
    assert_eq!(f.qos0_publish_kept, Fact::Measured(false));
    assert_eq!(f.qos0_grant_kept, Fact::Measured(false));
    assert_eq!(f.qos2_downgraded, Fact::Measured(Some(false)));
    assert_eq!(f.queue_limit, Fact::Measured(QueueLimit::AtLeast(150)));
    assert_eq!(f.max_payload, Fact::Measured(PayloadLimit::AtLeast(65_536)));
}

#[test]
fn rows_that_did_not_decide_leave_the_profiles_assumptions() {
    let r = report(Rules::default(), small(&["offline-p0-s1"]));
    let f = BrokerFacts::measured(&r, &BrokerProfile::generic());
    assert_eq!(f.qos0_publish_kept, Fact::Measured(false));
    let assumed = BrokerFacts::assumed(&BrokerProfile::generic());
    assert_eq!(f.qos0_grant_kept, assumed.qos0_grant_kept);
    assert_eq!(f.queue_limit, assumed.queue_limit);
    assert_eq!(
        assumed.queue_limit,
        Fact::Assumed(QueueLimit::Kept {
            kept: 1_000,
            dropped: Some(DroppedEnd::Newest)
        })
    );
    let label = f.label(&f.queue_limit, QUEUE_CHECK);
    assert!(
        label.en.starts_with("assumed (profile generic"),
        "{}",
        label.en
    );
    // Alibaba: QoS 2 with a persistent session is not allowed, so nothing is known of it.
    let ali = BrokerFacts::assumed(&BrokerProfile::aliyun());
    assert_eq!(ali.qos2_downgraded, Fact::Assumed(None));
    assert_eq!(ali.max_payload, Fact::Assumed(PayloadLimit::Bytes(65_536)));
    assert_eq!(ali.queue_limit, Fact::Assumed(QueueLimit::Unknown));
}

#[test]
fn a_report_survives_a_file() {
    let r = report(
        Rules {
            max_queued: 100,
            drop_oldest: true,
            ..Rules::default()
        },
        small(&["offline-p1-s1", "queue-limit"]),
    );
    let text = serde_json::to_string(&r).expect("serializes");
    let back: CheckReport = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, r);
    assert!(back.rows.iter().any(|x| x.dropped == Some("oldest")));
    // A hostile or newer file: an unknown dropped end reads as none, an unknown check fails.
    let odd = text.replace("\"dropped\":\"oldest\"", "\"dropped\":\"middle\"");
    let back: CheckReport = serde_json::from_str(&odd).expect("reads back");
    assert!(back.rows.iter().all(|x| x.dropped.is_none()));
    let unknown = text.replace("\"kind\":\"queue-limit\"", "\"kind\":\"no-such-check\"");
    assert!(serde_json::from_str::<CheckReport>(&unknown).is_err());
}
