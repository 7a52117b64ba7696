//! The broker check against scripted brokers with a simulated clock: every row with both
//! (or all) of its outcomes, the profile's rules, cancel, cleanup and the exports.

mod broker;
mod facts;

use super::*;
use crate::auth::{AuthInput, AuthMode};
use crate::profile::BrokerProfile;
use broker::{run, Broker, Oversize, Redelivery, Rules};

const START: Millis = 1_700_000_000_000;

fn base() -> SessionConfig {
    SessionConfig {
        url: "ws://broker.test:9001/mqtt".into(),
        client_id: "dev1".into(),
        ..Default::default()
    }
}

fn options(only: &[&str]) -> CheckOptions {
    CheckOptions {
        only: only.iter().map(|s| s.to_string()).collect(),
        seed: 42,
        ..Default::default()
    }
}

/// Runs the checks `only` (all when empty) against a broker with `rules`.
fn measure_with(rules: Rules, options: CheckOptions) -> (CheckView, Broker, Millis) {
    let mut check = BrokerCheck::new(base(), None, options).expect("valid");
    let mut broker = Broker::new(rules);
    let end = run(&mut check, &mut broker, START, |_, _| false);
    (check.view(end), broker, end - START)
}

fn measure(rules: Rules, only: &[&str]) -> CheckView {
    measure_with(rules, options(only)).0
}

fn outcome<'a>(v: &'a CheckView, id: &str) -> &'a str {
    &row(v, id).outcome
}

fn row<'a>(v: &'a CheckView, id: &str) -> &'a CheckRow {
    v.rows
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

fn evidence(v: &CheckView, id: &str) -> String {
    row(v, id)
        .why
        .iter()
        .map(|w| w.en.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn outcomes(v: &CheckView) -> Vec<(String, String)> {
    v.rows
        .iter()
        .map(|r| (r.id.clone(), r.outcome.clone()))
        .collect()
}

#[test]
fn the_suite_lists_every_check_of_the_issue_in_order() {
    let ids: Vec<String> = CheckKind::all().into_iter().map(|k| k.id()).collect();
    assert_eq!(ids.len(), 22);
    assert_eq!(ids[0], "offline-p0-s0");
    assert_eq!(ids[8], "offline-p2-s2");
    assert_eq!(
        &ids[9..],
        [
            "session-present",
            "clean-session-wipe",
            "retained",
            "retained-resubscribe",
            "redelivery",
            "will",
            "overlapping",
            "dollar-topics",
            "zero-length-client-id",
            "keepalive-close",
            "queue-limit",
            "inflight-window",
            "max-payload"
        ]
    );
    for id in &ids {
        assert_eq!(
            CheckKind::from_id(id).map(|k| k.id()).as_deref(),
            Some(id.as_str())
        );
    }
}

#[test]
fn mosquitto_defaults_give_mosquittos_table_under_two_minutes_and_leave_nothing_behind() {
    let (v, broker, took) = measure_with(Rules::default(), options(&[]));
    let expected = [
        ("offline-p0-s0", "lost"),
        ("offline-p0-s1", "lost"),
        ("offline-p0-s2", "lost"),
        ("offline-p1-s0", "lost"),
        ("offline-p1-s1", "1"),
        ("offline-p1-s2", "1"),
        ("offline-p2-s0", "lost"),
        ("offline-p2-s1", "1"),
        ("offline-p2-s2", "2"),
        ("session-present", "1"),
        ("clean-session-wipe", "wiped"),
        ("retained", "delivered"),
        ("retained-resubscribe", "resent"),
        ("redelivery", "dup"),
        ("will", "published"),
        ("overlapping", "one"),
        ("dollar-topics", "excluded"),
        ("zero-length-client-id", "accepted"),
        ("keepalive-close", "9501"),
        ("queue-limit", "1000"),
        ("inflight-window", "20"),
        ("max-payload", ">=4194304"),
    ];
    let got = outcomes(&v);
    for (id, want) in expected {
        let (_, g) = got.iter().find(|(i, _)| i == id).expect("row");
        assert_eq!(g, want, "{id}: {}", evidence(&v, id));
    }
    assert_eq!(row(&v, "queue-limit").dropped, Some("newest"));
    assert_eq!(v.state, RunState::Finished);
    assert_eq!((v.done, v.total), (22, 22));
    assert!(took < 120_000, "the suite took {took} ms of simulated time");
    assert!(
        broker.persistent_sessions().is_empty(),
        "sessions wiped: {:?}",
        broker.persistent_sessions()
    );
    assert!(
        broker.retained_topics().is_empty(),
        "retained cleared: {:?}",
        broker.retained_topics()
    );
    assert_eq!(broker.open_connections(), 0, "every connection closed");
    // Timings and limits that only a deadline can tell say so.
    assert!(row(&v, "inflight-window").timeout_based);
    assert!(!row(&v, "max-payload").timeout_based);
    assert!(evidence(&v, "max-payload").contains("4194304 bytes: delivered in"));
    assert!(!row(&v, "offline-p0-s1").timeout_based);
}

#[test]
fn offline_lost_is_decided_by_the_marker_and_kept_messages_by_their_qos() {
    let v = measure(Rules::default(), &["offline-p0-s1", "offline-p1-s1"]);
    assert_eq!(outcome(&v, "offline-p0-s1"), "lost");
    let why = evidence(&v, "offline-p0-s1");
    assert!(
        why.contains("Marker") && why.contains("did not arrive before the marker"),
        "{why}"
    );
    assert!(why.contains("Session Present = 1"), "{why}");
    assert_eq!(outcome(&v, "offline-p1-s1"), "1");
    assert!(evidence(&v, "offline-p1-s1").contains("The probe arrived"));
    let trace = row(&v, "offline-p1-s1").trace.join("\n");
    assert!(trace.contains("chk1 ← CONNACK sessionPresent=1"), "{trace}");
}

#[test]
fn a_broker_that_queues_qos0_and_downgrades_qos2_differs_where_rabbitmq_does() {
    let rules = Rules {
        queue_qos0: true,
        max_qos: 1,
        qos2_publish_as_qos1: true,
        ..Rules::default()
    };
    let v = measure(
        rules,
        &[
            "offline-p0-s1",
            "offline-p0-s2",
            "offline-p2-s2",
            "offline-p1-s0",
        ],
    );
    assert_eq!(outcome(&v, "offline-p0-s1"), "0");
    assert_eq!(outcome(&v, "offline-p0-s2"), "0");
    assert_eq!(outcome(&v, "offline-p2-s2"), "1");
    assert_eq!(outcome(&v, "offline-p1-s0"), "0");
    let why = evidence(&v, "offline-p2-s2");
    assert!(why.contains("with PUBACK: it took it as QoS 1"), "{why}");
}

#[test]
fn a_broker_without_sessions_answers_0_and_loses_everything_offline() {
    let rules = Rules {
        keep_sessions: false,
        ..Rules::default()
    };
    let v = measure(
        rules,
        &[
            "session-present",
            "offline-p1-s1",
            "clean-session-wipe",
            "redelivery",
            "queue-limit",
        ],
    );
    assert_eq!(outcome(&v, "session-present"), "0");
    assert_eq!(outcome(&v, "offline-p1-s1"), "lost");
    assert!(evidence(&v, "offline-p1-s1").contains("Session Present = 0"));
    assert_eq!(outcome(&v, "clean-session-wipe"), "wiped");
    assert_eq!(outcome(&v, "redelivery"), "lost");
    assert_eq!(outcome(&v, "queue-limit"), "0");
}

#[test]
fn clean_session_wipe_kept_when_a_clean_connect_leaves_the_session() {
    let rules = Rules {
        clean_wipes: false,
        ..Rules::default()
    };
    let v = measure(rules, &["clean-session-wipe"]);
    assert_eq!(outcome(&v, "clean-session-wipe"), "kept");
    assert!(evidence(&v, "clean-session-wipe").contains("old subscription survived"));
}

#[test]
fn retained_rows_both_ways() {
    let v = measure(Rules::default(), &["retained", "retained-resubscribe"]);
    assert_eq!(outcome(&v, "retained"), "delivered");
    assert_eq!(outcome(&v, "retained-resubscribe"), "resent");
    let v = measure(
        Rules {
            retained_on_resubscribe: false,
            ..Rules::default()
        },
        &["retained-resubscribe"],
    );
    assert_eq!(outcome(&v, "retained-resubscribe"), "not-resent");
    let (v, broker, _) = measure_with(
        Rules {
            retained: false,
            ..Rules::default()
        },
        options(&["retained", "retained-resubscribe"]),
    );
    assert_eq!(outcome(&v, "retained"), "not-delivered");
    assert_eq!(outcome(&v, "retained-resubscribe"), "not-resent");
    assert!(evidence(&v, "retained-resubscribe").contains("was not delivered"));
    assert!(broker.retained_topics().is_empty());
}

#[test]
fn redelivery_dup_no_dup_and_lost() {
    for (mode, want) in [
        (Redelivery::Dup, "dup"),
        (Redelivery::NoDup, "no-dup"),
        (Redelivery::Lost, "lost"),
    ] {
        let v = measure(
            Rules {
                redelivery: mode,
                ..Rules::default()
            },
            &["redelivery"],
        );
        assert_eq!(
            outcome(&v, "redelivery"),
            want,
            "{}",
            evidence(&v, "redelivery")
        );
    }
}

#[test]
fn will_published_or_not() {
    let v = measure(Rules::default(), &["will"]);
    assert_eq!(outcome(&v, "will"), "published");
    let v = measure(
        Rules {
            will: false,
            ..Rules::default()
        },
        &["will"],
    );
    assert_eq!(outcome(&v, "will"), "not-published");
    assert!(evidence(&v, "will").contains("Marker"));
}

#[test]
fn overlapping_one_or_each() {
    let v = measure(Rules::default(), &["overlapping"]);
    assert_eq!(outcome(&v, "overlapping"), "one");
    let v = measure(
        Rules {
            overlapping_each: true,
            ..Rules::default()
        },
        &["overlapping"],
    );
    assert_eq!(outcome(&v, "overlapping"), "each");
}

#[test]
fn dollar_topics_excluded_included_or_unknown() {
    let v = measure(Rules::default(), &["dollar-topics"]);
    assert_eq!(outcome(&v, "dollar-topics"), "excluded");
    assert!(
        evidence(&v, "dollar-topics").contains("subscribed +/broker/"),
        "{}",
        evidence(&v, "dollar-topics")
    );
    let v = measure(
        Rules {
            dollar_leaks: true,
            ..Rules::default()
        },
        &["dollar-topics"],
    );
    assert_eq!(outcome(&v, "dollar-topics"), "included");
    let v = measure(
        Rules {
            sys_topics: false,
            ..Rules::default()
        },
        &["dollar-topics"],
    );
    assert_eq!(outcome(&v, "dollar-topics"), "unknown");
    assert!(row(&v, "dollar-topics").timeout_based);
}

#[test]
fn zero_length_client_id_accepted_or_refused() {
    let v = measure(Rules::default(), &["zero-length-client-id"]);
    assert_eq!(outcome(&v, "zero-length-client-id"), "accepted");
    let v = measure(
        Rules {
            zero_length: false,
            ..Rules::default()
        },
        &["zero-length-client-id"],
    );
    assert_eq!(outcome(&v, "zero-length-client-id"), "refused");
    assert!(evidence(&v, "zero-length-client-id").contains("code 2"));
}

#[test]
fn keepalive_close_in_ms_or_a_deadline() {
    let v = measure(
        Rules {
            keepalive_extra: Some(0),
            ..Rules::default()
        },
        &["keepalive-close"],
    );
    // 1.5 x 5 s, plus the 1 ms the close takes to arrive.
    assert_eq!(outcome(&v, "keepalive-close"), "7501");
    assert!(evidence(&v, "keepalive-close").contains("predicts 7500 ms"));
    let v = measure(
        Rules {
            keepalive_extra: None,
            ..Rules::default()
        },
        &["keepalive-close"],
    );
    assert_eq!(outcome(&v, "keepalive-close"), ">=25000");
    assert!(row(&v, "keepalive-close").timeout_based);
}

#[test]
fn queue_limit_kept_count_and_the_dropped_end() {
    let v = measure(
        Rules {
            max_queued: 100,
            ..Rules::default()
        },
        &["queue-limit"],
    );
    assert_eq!(outcome(&v, "queue-limit"), "100");
    assert_eq!(row(&v, "queue-limit").dropped, Some("newest"));
    let v = measure(
        Rules {
            max_queued: 100,
            drop_oldest: true,
            ..Rules::default()
        },
        &["queue-limit"],
    );
    assert_eq!(outcome(&v, "queue-limit"), "100");
    assert_eq!(row(&v, "queue-limit").dropped, Some("oldest"));
    let v = measure(
        Rules {
            max_queued: 1_000_000,
            ..Rules::default()
        },
        &["queue-limit"],
    );
    assert_eq!(outcome(&v, "queue-limit"), ">=2000");
    assert_eq!(row(&v, "queue-limit").dropped, None);
}

#[test]
fn queue_limit_follows_the_users_n() {
    let (v, _, _) = measure_with(
        Rules {
            max_queued: 1_000_000,
            ..Rules::default()
        },
        CheckOptions {
            queue_limit: 150,
            ..options(&["queue-limit"])
        },
    );
    assert_eq!(outcome(&v, "queue-limit"), ">=150");
}

#[test]
fn inflight_window_counted_or_open() {
    let v = measure(
        Rules {
            inflight_window: 5,
            ..Rules::default()
        },
        &["inflight-window"],
    );
    assert_eq!(outcome(&v, "inflight-window"), "5");
    assert!(evidence(&v, "inflight-window").contains("100 of 100 had arrived"));
    let v = measure(
        Rules {
            inflight_window: 65_000,
            ..Rules::default()
        },
        &["inflight-window"],
    );
    assert_eq!(outcome(&v, "inflight-window"), ">=100");
}

#[test]
fn max_payload_by_stall_by_discard_or_beyond_the_search() {
    let v = measure(
        Rules {
            max_payload: 262_144,
            oversize: Oversize::Stall,
            ..Rules::default()
        },
        &["max-payload"],
    );
    assert_eq!(outcome(&v, "max-payload"), "262144");
    assert!(row(&v, "max-payload").timeout_based);
    let why = evidence(&v, "max-payload");
    assert!(
        why.contains("stalled") && why.contains("this is a deadline-based answer"),
        "{why}"
    );
    // Each stalled size was tried twice.
    assert_eq!(
        why.matches("524288 bytes: nothing arrived").count(),
        2,
        "{why}"
    );
    let v = measure(
        Rules {
            max_payload: 65_536,
            oversize: Oversize::Discard,
            ..Rules::default()
        },
        &["max-payload"],
    );
    assert_eq!(outcome(&v, "max-payload"), "65536");
    assert!(
        !row(&v, "max-payload").timeout_based,
        "decided by the marker"
    );
    assert!(evidence(&v, "max-payload").contains("the marker came without it"));
    // An odd limit takes a binary search.
    let v = measure(
        Rules {
            max_payload: 50_000,
            oversize: Oversize::Discard,
            ..Rules::default()
        },
        &["max-payload"],
    );
    assert_eq!(outcome(&v, "max-payload"), "50000");
    let (v, _, _) = measure_with(
        Rules {
            max_payload: usize::MAX,
            ..Rules::default()
        },
        CheckOptions {
            max_payload: 64 * 1024,
            ..options(&["max-payload"])
        },
    );
    assert_eq!(outcome(&v, "max-payload"), ">=65536");
}

#[test]
fn the_payload_search_doubles_then_tries_just_above_then_halves() {
    /// A round of `size`: delivered, refused (the marker came alone) or stalled (nothing).
    fn round(size: usize, got: Option<bool>) -> Record {
        let mut r = Record::new(0);
        r.payload_size = size;
        let seen = |len: usize, label: String| Seen {
            seq: 1,
            at: 0,
            topic: "t".into(),
            qos: 1,
            dup: false,
            retain: false,
            len,
            label,
            dead: false,
            packet_id: Some(1),
        };
        match got {
            Some(true) => r.clients[0]
                .messages
                .push(seen(size, format!("<{size} bytes>"))),
            Some(false) => r.clients[0]
                .messages
                .push(seen(16, "marker:payload:1".into())),
            None => {}
        }
        r
    }
    let (ok, no, stall) = (Some(true), Some(false), None);
    let max = 4 << 20;
    assert_eq!(decide::next_payload_size(&[], max), Some(1024));
    assert_eq!(
        decide::next_payload_size(&[round(1024, ok)], max),
        Some(2048)
    );
    let rounds = [round(262_144, ok), round(524_288, no)];
    assert_eq!(decide::next_payload_size(&rounds, max), Some(262_145));
    let rounds = [round(262_144, ok), round(524_288, no), round(262_145, no)];
    assert_eq!(decide::next_payload_size(&rounds, max), None);
    let rounds = [round(262_144, ok), round(524_288, no), round(262_145, ok)];
    assert_eq!(decide::next_payload_size(&rounds, max), Some(393_216));
    assert_eq!(decide::next_payload_size(&[round(max, ok)], max), None);
    // A stall is tried once more before it counts; a slow second attempt that arrives wins.
    let rounds = [round(262_144, ok), round(524_288, stall)];
    assert_eq!(decide::next_payload_size(&rounds, max), Some(524_288));
    let rounds = [
        round(262_144, ok),
        round(524_288, stall),
        round(524_288, stall),
    ];
    assert_eq!(decide::next_payload_size(&rounds, max), Some(262_145));
    let rounds = [
        round(262_144, ok),
        round(524_288, stall),
        round(524_288, ok),
    ];
    assert_eq!(decide::next_payload_size(&rounds, max), Some(1_048_576));
}

#[test]
fn a_lost_marker_is_sent_again_and_the_answer_stays_right() {
    let v = measure(
        Rules {
            lose_first_marker: true,
            ..Rules::default()
        },
        &["offline-p0-s1", "offline-p1-s1", "queue-limit"],
    );
    assert_eq!(outcome(&v, "offline-p0-s1"), "lost");
    assert_eq!(outcome(&v, "offline-p1-s1"), "1");
    assert_eq!(outcome(&v, "queue-limit"), "1000");
    assert!(evidence(&v, "offline-p1-s1").contains("Marker 2 sent"));
}

#[test]
fn a_connect_closed_while_the_broker_tears_down_the_last_session_is_tried_once_more() {
    // RabbitMQ 3.10 in CI: max-payload's first connect came while inflight-window's clean
    // session of chk1 was still being deleted, and was closed without CONNACK.
    let v = measure(
        Rules {
            teardown: Some(300),
            ..Rules::default()
        },
        &["inflight-window", "max-payload"],
    );
    assert_eq!(outcome(&v, "inflight-window"), "20");
    assert_eq!(outcome(&v, "max-payload"), ">=4194304");
    let why = evidence(&v, "max-payload");
    assert!(
        why.contains(
            "The broker closed chk1's connection before CONNACK; tried once more after 1 s."
        ),
        "{why}"
    );
    // A broker that keeps closing gets one more try, not a loop: the row fails with why.
    let v = measure(
        Rules {
            teardown: Some(600_000),
            ..Rules::default()
        },
        &["inflight-window", "max-payload"],
    );
    assert_eq!(outcome(&v, "max-payload"), "error");
    let why = evidence(&v, "max-payload");
    assert!(
        why.contains("tried once more") && why.contains("chk1 could not connect"),
        "{why}"
    );
}

#[test]
fn an_unreachable_broker_gives_errors_with_reasons_and_the_run_ends() {
    let v = measure(
        Rules {
            down: true,
            ..Rules::default()
        },
        &["offline-p1-s1", "keepalive-close"],
    );
    assert_eq!(v.state, RunState::Finished);
    assert_eq!(outcome(&v, "offline-p1-s1"), "error");
    assert!(
        evidence(&v, "offline-p1-s1").contains("could not connect"),
        "{}",
        evidence(&v, "offline-p1-s1")
    );
    assert_eq!(row(&v, "offline-p1-s1").status, RowStatus::Error);
}

#[test]
fn the_alibaba_profile_forbids_qos2_persistent_and_derives_valid_client_ids() {
    let auth = AuthInput {
        mode: AuthMode::AliyunSignature,
        client_id: "GID_test@@@device1".into(),
        access_key_id: "LTAIkey".into(),
        access_key_secret: "s3cr3t-ali".into(),
        instance_id: "post-cn-abc".into(),
        ..Default::default()
    };
    let config = SessionConfig {
        client_id: auth.client_id.clone(),
        profile: BrokerProfile::aliyun(),
        ..base()
    };
    let opts = CheckOptions {
        topic_root: "parent".into(),
        ..options(&[
            "offline-p1-s2",
            "offline-p2-s2",
            "offline-p1-s1",
            "zero-length-client-id",
            "dollar-topics",
        ])
    };
    let mut check = BrokerCheck::new(config, Some(auth), opts).expect("valid");
    assert_eq!(check.client_id(Role::Subject), "GID_test@@@device1-chk1");
    assert_eq!(check.client_id(Role::Peer), "GID_test@@@device1-chk2");
    assert!(check.topic_prefix().starts_with("parent/"));
    let v0 = check.view(START);
    assert_eq!(v0.done, 4, "not-allowed rows are decided before the run");
    for id in [
        "offline-p1-s2",
        "offline-p2-s2",
        "zero-length-client-id",
        "dollar-topics",
    ] {
        assert_eq!(outcome(&v0, id), "not-allowed", "{id}");
        assert!(!row(&v0, id).why[0].en.is_empty() && !row(&v0, id).why[0].zh.is_empty());
    }
    assert!(row(&v0, "offline-p1-s2").why[0].en.contains("QoS 2"));
    let mut broker = Broker::new(Rules::default());
    let end = run(&mut check, &mut broker, START, |_, _| false);
    let v = check.view(end);
    assert_eq!(outcome(&v, "offline-p1-s1"), "1");
    // Each check connection signs its own ClientId and sends it only in CONNECT.
    for (id, user, password) in &broker.connects {
        assert_eq!(user.as_deref(), Some("Signature|LTAIkey|post-cn-abc"));
        assert_eq!(
            password.as_deref(),
            Some(crate::auth::sign("s3cr3t-ali", id).password.as_str()),
            "{id}"
        );
    }
    assert!(broker
        .connects
        .iter()
        .any(|c| c.0 == "GID_test@@@device1-chk2"));
    let report = check.report(end);
    let expected = crate::auth::sign("s3cr3t-ali", "GID_test@@@device1-chk1").password;
    for text in [report.to_json(), report.to_markdown(false)] {
        assert!(!text.contains("s3cr3t-ali"), "no secret in the evidence");
        assert!(!text.contains("LTAIkey"), "no username in the evidence");
        assert!(!text.contains(&expected), "no password in the evidence");
    }
}

#[test]
fn the_evidence_and_exports_never_carry_credentials() {
    let config = SessionConfig {
        username: Some("user-x".into()),
        password: Some("s3cret-pw".into()),
        ..base()
    };
    let mut check = BrokerCheck::new(config, None, options(&["session-present", "queue-limit"]))
        .expect("valid");
    let mut broker = Broker::new(Rules::default());
    let end = run(&mut check, &mut broker, START, |_, _| false);
    let report = check.report(end);
    for text in [
        report.to_json(),
        report.to_markdown(false),
        report.to_markdown(true),
    ] {
        assert!(!text.contains("s3cret-pw"));
        assert!(!text.contains("user-x"));
    }
    let trace = row(&check.view(end), "session-present").trace.join("\n");
    assert!(trace.contains("CONNECT"), "{trace}");
    assert!(trace.contains("clientId=dev1-chk1"), "{trace}");
}

#[test]
fn exports_hold_every_row_in_json_and_a_markdown_table() {
    let mut check = BrokerCheck::new(
        SessionConfig {
            url: "ws://u:p@broker.test:9001/mqtt?x=1".into(),
            ..base()
        },
        None,
        options(&["offline-p1-s1", "queue-limit"]),
    )
    .expect("valid");
    let mut broker = Broker::new(Rules {
        max_queued: 100,
        ..Rules::default()
    });
    let end = run(&mut check, &mut broker, START, |_, _| false);
    let report = check.report(end);
    let json = report.to_json();
    assert!(
        json.contains("\"broker\":\"ws://broker.test:9001/mqtt\""),
        "{json}"
    );
    assert!(
        json.contains("\"check\":\"offline-p1-s1\",\"outcome\":\"1\""),
        "{json}"
    );
    assert!(json.contains("\"check\":\"queue-limit\",\"outcome\":\"100\",\"status\":\"done\",\"dropped\":\"newest\""), "{json}");
    let md = report.to_markdown(false);
    let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(lines.len(), 2, "{md}");
    assert!(lines[1].contains("| 100 (dropped newest) |"), "{md}");
    let zh = report.to_markdown(true);
    assert!(zh.contains("| 检测 | 结果 |"));
}

#[test]
fn cancel_stops_the_running_check_cleans_up_and_skips_the_rest() {
    let mut check =
        BrokerCheck::new(base(), None, options(&["queue-limit", "max-payload"])).expect("valid");
    let mut broker = Broker::new(Rules::default());
    let mut cancelled = false;
    let end = run(&mut check, &mut broker, START, |c, now| {
        // Cancel once the subscriber is away and the series is on its way.
        if !cancelled
            && now > START + 5
            && c.view(now).current.as_deref() == Some("queue-limit")
            && broker_pending(c)
        {
            c.cancel(now);
            cancelled = true;
        }
        false
    });
    assert!(cancelled);
    let v = check.view(end);
    assert_eq!(v.state, RunState::Cancelled);
    assert_eq!(outcome(&v, "queue-limit"), "cancelled");
    assert_eq!(outcome(&v, "max-payload"), "", "not run");
    assert_eq!(row(&v, "max-payload").status, RowStatus::Skipped);
    assert!(
        broker.persistent_sessions().is_empty(),
        "the cleanup wiped chk1's session"
    );
    assert_eq!(broker.open_connections(), 0);
}

/// True once the check has published part of the queue-limit series.
fn broker_pending(c: &BrokerCheck) -> bool {
    c.job
        .as_ref()
        .is_some_and(|j| j.record_for_tests().client(Role::Peer).delivered.len() > 10)
}

#[test]
fn a_cleanup_that_cannot_reach_the_broker_is_remembered() {
    // The run's first cleanup (chk1's session wiped) cannot connect: something may be left.
    let mut check = BrokerCheck::new(base(), None, options(&["offline-p1-s1"])).expect("valid");
    let mut broker = Broker::new(Rules {
        down: true,
        ..Rules::default()
    });
    run(&mut check, &mut broker, START, |_, _| false);
    let why = check.cleanup_failure().expect("the cleanup failed");
    assert!(!why.en.is_empty() && !why.zh.is_empty());
    // A cleanup that reaches the broker leaves nothing to report, cancelled or not.
    let mut ok = BrokerCheck::new(base(), None, options(&["queue-limit"])).expect("valid");
    let mut broker = Broker::new(Rules::default());
    run(&mut ok, &mut broker, START, |c, now| {
        if c.view(now).current.as_deref() == Some("queue-limit") && broker_pending(c) {
            c.cancel(now);
        }
        false
    });
    assert_eq!(ok.state(), RunState::Cancelled);
    assert!(ok.cleanup_failure().is_none());
    assert!(broker.persistent_sessions().is_empty());
}

#[test]
fn cancel_twice_drops_everything_at_once() {
    let mut check = BrokerCheck::new(base(), None, options(&["keepalive-close"])).expect("valid");
    let mut broker = Broker::new(Rules::default());
    let mut n = 0;
    let end = run(&mut check, &mut broker, START, |c, now| {
        if c.view(now).current.is_some() && n < 2 {
            c.cancel(now);
            n += 1;
        }
        false
    });
    let v = check.view(end);
    assert_eq!(v.state, RunState::Cancelled);
    assert_eq!(broker.open_connections(), 0);
    assert!(end - START < 1_000, "no waiting for the keepalive");
}

#[test]
fn options_are_validated_and_only_selects_rows() {
    let bad = CheckOptions {
        topic_root: "a/b".into(),
        ..CheckOptions::default()
    };
    assert!(matches!(
        BrokerCheck::new(base(), None, bad),
        Err(OptionsError::TopicRoot(_))
    ));
    let check = BrokerCheck::new(base(), None, options(&["will", "retained"])).expect("valid");
    let v = check.view(START);
    assert_eq!(v.total, 2);
    assert_eq!(v.state, RunState::Idle);
    assert!(OptionsError::QueueLimit("x".into())
        .text()
        .zh
        .contains("队列"));
}

#[test]
fn progress_counts_rows_as_they_are_decided() {
    let mut check = BrokerCheck::new(
        base(),
        None,
        options(&["session-present", "will", "overlapping"]),
    )
    .expect("valid");
    let mut broker = Broker::new(Rules::default());
    let mut seen = Vec::new();
    let end = run(&mut check, &mut broker, START, |c, now| {
        let v = c.view(now);
        if seen.last() != Some(&v.done) {
            seen.push(v.done);
        }
        if let Some(cur) = &v.current {
            assert_eq!(outcome(&v, cur), "", "empty while it runs");
        }
        false
    });
    assert_eq!(seen, vec![0, 1, 2, 3]);
    assert!(check.view(end).elapsed_ms.is_some());
}
