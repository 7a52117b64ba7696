//! Browser tests: the page's edge and the core against a real mosquitto, in headless Chromium.
//!
//! Where the broker is: `ACKSCOPE_TEST_BROKER_WS` at compile time, else the broker that
//! `make serve` starts (ws://127.0.0.1:9001/mqtt). The SUBACK-failure test talks to the
//! scripted peer of `scripts/fault-peer.py`: `ACKSCOPE_TEST_FAULT_PEER_WS`, else
//! ws://127.0.0.1:9002/ (also started by `make serve`). `make test` starts both on free ports.
#![cfg(target_arch = "wasm32")]

use ackscope::edge::device::Device;
use ackscope::view::DeviceForm;
use ackscope_core::session::ConnState;
use ackscope_core::verdicts::VerdictKind;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const BROKER: &str = match option_env!("ACKSCOPE_TEST_BROKER_WS") {
    Some(url) => url,
    None => "ws://127.0.0.1:9001/mqtt",
};
const FAULT_PEER: &str = match option_env!("ACKSCOPE_TEST_FAULT_PEER_WS") {
    Some(url) => url,
    None => "ws://127.0.0.1:9002/",
};

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:08x}",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}

fn device(url: &str, client_id: &str, clean_session: bool) -> Device {
    let mut form = DeviceForm::new(0, url);
    form.auth.client_id = client_id.to_string();
    form.clean_session = clean_session;
    Device::new(0, form, Callback::noop())
}

async fn until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        TimeoutFuture::new(20).await;
    }
    panic!("timed out after 10 s waiting for {what}");
}

async fn connected(d: &Device) {
    d.connect();
    until("CONNACK", || {
        d.snapshot().session.state == ConnState::Connected
    })
    .await;
}

async fn subscribed(d: &Device, topic: &str, qos: u8) {
    d.edit(|f| {
        f.sub_topic = topic.to_string();
        f.sub_qos = qos;
    });
    d.subscribe();
    until("SUBACK", || {
        d.snapshot()
            .session
            .subscriptions
            .iter()
            .any(|r| r.filter == topic && !r.pending)
    })
    .await;
}

async fn publish_all(d: &Device, topic: &str, payloads: &[&str], qos: u8) {
    for p in payloads {
        d.edit(|f| {
            f.pub_topic = topic.to_string();
            f.pub_payload = p.to_string();
            f.pub_qos = qos;
        });
        d.publish();
    }
    until("every publish acknowledged", || {
        d.snapshot().session.inflight.is_empty()
    })
    .await;
}

fn payloads(d: &Device) -> Vec<String> {
    d.read(|s| {
        s.log
            .messages
            .iter()
            .map(|m| m.payload_text().into_owned())
            .collect()
    })
}

#[wasm_bindgen_test]
async fn offline_round_trip_brings_back_exactly_the_five_in_order() {
    let topic = unique("bt/offline");
    let rx = device(BROKER, &unique("bt-rx"), false);
    connected(&rx).await;
    subscribed(&rx, &topic, 1).await;
    rx.drop_connection();

    let tx = device(BROKER, &unique("bt-tx"), true);
    connected(&tx).await;
    let sent = ["m1", "m2", "m3", "m4", "m5"];
    publish_all(&tx, &topic, &sent, 1).await;

    connected(&rx).await;
    until("five messages", || rx.read(|s| s.log.messages.len() >= 5)).await;
    // A marker published now reaches rx after anything the broker still had queued for it:
    // once it is there, a sixth or repeated offline message would be there too.
    publish_all(&tx, &topic, &["marker"], 1).await;
    until("the marker", || payloads(&rx).iter().any(|p| p == "marker")).await;
    assert_eq!(rx.snapshot().session.session_present, Some(true));
    assert_eq!(payloads(&rx), [&sent[..], &["marker"][..]].concat());
    assert!(rx.read(|s| s
        .log
        .messages
        .iter()
        .take(5)
        .all(|m| m.verdict == VerdictKind::Offline)));
}

#[wasm_bindgen_test]
async fn a_clean_session_brings_nothing_back() {
    let topic = unique("bt/clean");
    let rx = device(BROKER, &unique("bt-rx"), true);
    connected(&rx).await;
    subscribed(&rx, &topic, 1).await;
    rx.drop_connection();
    let tx = device(BROKER, &unique("bt-tx"), true);
    connected(&tx).await;
    publish_all(&tx, &topic, &["lost1", "lost2"], 1).await;
    connected(&rx).await;
    assert_eq!(rx.snapshot().session.session_present, Some(false));
    // rx subscribes again on connect; a marker published after its SUBACK arrives after
    // anything a kept session would have brought back (that comes right after CONNACK).
    until("the resubscribe's SUBACK", || {
        rx.snapshot()
            .session
            .subscriptions
            .iter()
            .any(|r| r.filter == topic && !r.pending)
    })
    .await;
    publish_all(&tx, &topic, &["marker"], 1).await;
    until("the marker", || !payloads(&rx).is_empty()).await;
    assert_eq!(
        payloads(&rx),
        ["marker"],
        "nothing came back before the marker"
    );
}

#[wasm_bindgen_test]
async fn a_withheld_ack_then_a_drop_brings_the_message_back_redelivered() {
    let topic = unique("bt/redeliver");
    let rx = device(BROKER, &unique("bt-rx"), false);
    rx.set_manual_ack(true);
    connected(&rx).await;
    subscribed(&rx, &topic, 1).await;
    let tx = device(BROKER, &unique("bt-tx"), true);
    connected(&tx).await;
    publish_all(&tx, &topic, &["withheld"], 1).await;
    until("the first delivery", || {
        rx.read(|s| s.log.messages.len() == 1)
    })
    .await;
    assert_eq!(
        rx.snapshot().session.inflight.len(),
        1,
        "the ack is withheld"
    );
    rx.drop_connection();
    connected(&rx).await;
    until("the redelivery", || rx.read(|s| s.log.messages.len() >= 2)).await;
    let (dup, verdict) = rx.read(|s| {
        let m = s.log.messages.get(1).expect("a second message");
        (m.dup, m.verdict)
    });
    assert!(dup, "mosquitto resends with DUP=1");
    assert_eq!(verdict, VerdictKind::Redelivered);
}

#[wasm_bindgen_test]
async fn qos2_is_delivered_exactly_once() {
    let topic = unique("bt/qos2");
    let rx = device(BROKER, &unique("bt-rx"), true);
    connected(&rx).await;
    subscribed(&rx, &topic, 2).await;
    let tx = device(BROKER, &unique("bt-tx"), true);
    connected(&tx).await;
    publish_all(&tx, &topic, &["once"], 2).await;
    until("the delivery", || rx.read(|s| !s.log.messages.is_empty())).await;
    // A second QoS 2 message on the same connection arrives after any repeat of the first.
    publish_all(&tx, &topic, &["marker"], 2).await;
    until("the marker", || payloads(&rx).iter().any(|p| p == "marker")).await;
    until("PUBREL/PUBCOMP of both", || {
        rx.snapshot().session.inflight.is_empty()
    })
    .await;
    assert_eq!(payloads(&rx), ["once", "marker"]);
    assert_eq!(rx.read(|s| s.log.messages.get(0).map(|m| m.qos)), Some(2));
    assert!(
        rx.snapshot().session.inflight.is_empty(),
        "PUBREL/PUBCOMP completed"
    );
}

#[wasm_bindgen_test]
async fn a_suback_failure_is_reported_as_a_failure() {
    let d = device(FAULT_PEER, &unique("bt-fail"), true);
    connected(&d).await;
    subscribed(&d, "denied/topic", 1).await;
    let row = d.snapshot().session.subscriptions[0].clone();
    assert!(row.failed);
    assert_eq!(row.granted_attr(), "128");
    assert!(d.read(|s| s
        .log
        .timeline
        .iter()
        .any(|n| n.error && n.en.contains("0x80"))));
}
