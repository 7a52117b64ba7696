//! Broker-check results in recordings and reports: a device's check goes into the file with
//! its evidence, comes back when the file is opened (the card's table in recording mode reads
//! it), feeds the recomputed diagnostics as it fed the live ones, and the report carries its
//! table. A file from before the field opens without one.

use super::*;
use crate::i18n::Lang;
use crate::view::report;
use ackscope_core::check::{CheckKind, CheckRow, RowStatus, RunState};
use ackscope_core::session::{Action, Session};

const URL: &str = "ws://127.0.0.1:9001/mqtt";
const T0: Millis = 1_700_000_000_000;

fn row(kind: CheckKind, outcome: &str, dropped: Option<&'static str>, why: &str) -> CheckRow {
    CheckRow {
        kind,
        id: kind.id(),
        status: RowStatus::Done,
        outcome: outcome.into(),
        dropped,
        why: vec![Bilingual::new(why, format!("依据:{why}"))],
        trace: vec!["+3 ms chk1 → PUBLISH t QoS 1".into()],
        timeout_based: false,
        started_at: Some(T0 - 60_000),
        took_ms: Some(1_200),
    }
}

/// A finished run on a broker that keeps QoS 0 offline (RabbitMQ-like answers).
fn report_of_a_run() -> CheckReport {
    CheckReport {
        broker: URL.into(),
        profile: "generic".into(),
        state: RunState::Finished,
        elapsed_ms: Some(58_000),
        client_ids: vec!["rx-chk1".into(), "rx-chk2".into(), String::new()],
        topic_prefix: "ackscope-check/abc123".into(),
        keepalive_secs: 5,
        rows: vec![
            row(
                CheckKind::Offline {
                    publish: 0,
                    subscribe: 1,
                },
                "0",
                None,
                "The QoS 0 message arrived on return",
            ),
            row(
                CheckKind::Offline {
                    publish: 1,
                    subscribe: 0,
                },
                "0",
                None,
                "Kept for a QoS 0 subscription",
            ),
            row(
                CheckKind::QueueLimit,
                "100",
                Some("newest"),
                "kept q:1 to q:100",
            ),
        ],
    }
}

/// A persistent device whose subscription the broker granted at QoS 0: the events its
/// session reports, and the form and session view a live page would export.
fn granted_qos0_device(recorder: &Recorder) -> (DeviceForm, SessionView, DeviceHistory) {
    let mut form = DeviceForm::new(0, URL);
    form.auth.client_id = "rx".into();
    form.clean_session = false;
    let mut session = Session::new(form.session_config(7).expect("valid form"));
    let mut history = DeviceHistory::default();
    let mut now = T0;
    session.connect(now).expect("connect allowed");
    let (mut socket, mut subscribe_id) = (None, None);
    drain(
        &mut session,
        &mut history,
        recorder,
        &mut socket,
        &mut subscribe_id,
    );
    let s = socket.expect("a socket opened");
    session.handle_socket_open(s, now);
    drain(
        &mut session,
        &mut history,
        recorder,
        &mut socket,
        &mut subscribe_id,
    );
    now += 5;
    session.handle_bytes(s, &[0x20, 0x02, 0x00, 0x00], now);
    drain(
        &mut session,
        &mut history,
        recorder,
        &mut socket,
        &mut subscribe_id,
    );
    session.subscribe("t", 1, now).expect("valid filter");
    drain(
        &mut session,
        &mut history,
        recorder,
        &mut socket,
        &mut subscribe_id,
    );
    let [hi, lo] = subscribe_id.expect("SUBSCRIBE sent").to_be_bytes();
    now += 5;
    // SUBACK: granted QoS 0.
    session.handle_bytes(s, &[0x90, 0x03, hi, lo, 0x00], now);
    drain(
        &mut session,
        &mut history,
        recorder,
        &mut socket,
        &mut subscribe_id,
    );
    let view = session.view(now + 1_000);
    (form, view, history)
}

/// As edge/device.rs drains a session: the socket it opens and the SUBSCRIBE's packet id
/// noted, every event into the history and the recorder.
fn drain(
    session: &mut Session,
    history: &mut DeviceHistory,
    recorder: &Recorder,
    socket: &mut Option<ackscope_core::session::SocketId>,
    subscribe_id: &mut Option<u16>,
) {
    while let Some(a) = session.poll_action() {
        match a {
            Action::Open { socket: s, url } => {
                history.connecting_to(&url);
                *socket = Some(s);
            }
            Action::Send { bytes, .. } if bytes.first() == Some(&0x82) && bytes.len() > 3 => {
                *subscribe_id = Some(u16::from_be_bytes([bytes[2], bytes[3]]));
            }
            _ => {}
        }
    }
    while let Some(e) = session.poll_event() {
        history.observe(&e);
        recorder.record(0, &e);
    }
}

/// The live page's findings and its recording, with `check` as the device's broker check.
fn live(check: Option<CheckReport>) -> (Vec<Finding>, String) {
    let recorder = Recorder::default();
    let (form, view, history) = granted_qos0_device(&recorder);
    let mut settings = settings_of(&form, &view);
    settings.broker_check = check.as_ref().map(|c| recorded_check_facts(&form, c));
    let at = T0 + 2_000;
    let findings = findings_of(at, &[(settings, &history)]);
    let device = LiveDevice {
        id: 0,
        form: &form,
        session: &view,
        broker_check: check,
    };
    let text = export_text(&[device], &findings, &recorder, at);
    (findings, text)
}

fn severity_of(findings: &[Finding], rule: &str) -> Option<Severity> {
    findings.iter().find(|f| f.rule == rule).map(|f| f.severity)
}

#[test]
fn a_recording_keeps_the_broker_check_and_its_measured_facts() {
    let check = report_of_a_run();
    let (findings, text) = live(Some(check.clone()));
    // Measured to keep messages for a QoS 0 grant: advice, not a warning.
    assert_eq!(severity_of(&findings, "qos0-granted"), Some(Severity::Info));
    assert!(text.contains("\"brokerCheck\""), "{text}");
    let rec = parse(&text).expect("opens");
    assert_eq!(rec.devices[0].broker_check.as_ref(), Some(&check));
    let opened = open(rec);
    assert_eq!(opened.devices[0].broker_check.as_ref(), Some(&check));
    assert!(
        opened.findings_match,
        "replayed findings equal the live ones"
    );
    assert_eq!(
        severity_of(&opened.findings, "qos0-granted"),
        Some(Severity::Info)
    );
    // The card's table in recording mode reads the same rows.
    let view = check.view();
    assert_eq!((view.done, view.total), (3, 3));
    assert_eq!(view.rows[2].dropped, Some("newest"));
}

#[test]
fn the_report_carries_the_broker_check_table() {
    let (_, text) = live(Some(report_of_a_run()));
    let opened = open(parse(&text).expect("opens"));
    let md = report::markdown(Lang::En, &opened.recording, &opened.findings);
    assert!(md.contains("## Broker check: device 1 (rx)"), "{md}");
    assert!(
        md.contains("| check | outcome | what is measured | evidence |"),
        "{md}"
    );
    assert!(
        md.contains("| offline-p0-s1 | 0 |") && md.contains("The QoS 0 message arrived on return"),
        "{md}"
    );
    assert!(
        md.contains("| queue-limit | 100 (dropped newest) |"),
        "{md}"
    );
    let zh = report::markdown(Lang::ZhCn, &opened.recording, &opened.findings);
    assert!(
        zh.contains("服务端检测") && zh.contains("依据:kept q:1 to q:100"),
        "{zh}"
    );
    let html = report::html(Lang::En, &opened.recording, &opened.findings);
    assert!(html.contains("<td>queue-limit</td>"), "{html}");
}

#[test]
fn a_recording_without_a_check_opens_as_before() {
    let (findings, text) = live(None);
    assert!(!text.contains("brokerCheck"), "{text}");
    assert_eq!(
        severity_of(&findings, "qos0-granted"),
        Some(Severity::Warning)
    );
    let opened = open(parse(&text).expect("opens"));
    assert!(opened.devices[0].broker_check.is_none());
    assert!(opened.findings_match);
    let md = report::markdown(Lang::En, &opened.recording, &opened.findings);
    assert!(!md.contains("Broker check"), "{md}");
    // A file made with a check but read as an older page wrote it (field removed): opens,
    // and its findings are the assumed ones.
    let (_, with_check) = live(Some(report_of_a_run()));
    let mut value: serde_json::Value = serde_json::from_str(&with_check).expect("JSON");
    value["devices"][0]
        .as_object_mut()
        .expect("device object")
        .remove("brokerCheck");
    let opened = open(parse(&value.to_string()).expect("opens"));
    assert_eq!(
        severity_of(&opened.findings, "qos0-granted"),
        Some(Severity::Warning)
    );
}
