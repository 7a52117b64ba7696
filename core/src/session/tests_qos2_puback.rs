//! A broker that answers a QoS 2 PUBLISH with PUBACK (RabbitMQ 3.10 downgrades QoS 2 to 1):
//! the session completes the message and says why, instead of waiting for a PUBREC forever.

use super::*;
use crate::framing::encode;
use mqtt::control::ConnectReturnCode;
use mqtt::packet::{ConnackPacket, PubackPacket, PubcompPacket, PubrecPacket};

/// A connected session (cleanSession=0) and its socket.
fn connected(now: Millis) -> (Session, SocketId) {
    let mut s = Session::new(SessionConfig {
        client_id: "dev1".into(),
        clean_session: false,
        ..Default::default()
    });
    s.connect(now).expect("connect allowed");
    let socket = std::iter::from_fn(|| s.poll_action())
        .find_map(|a| match a {
            Action::Open { socket, .. } => Some(socket),
            _ => None,
        })
        .expect("a socket opens");
    s.handle_socket_open(socket, now);
    let connack = ConnackPacket::new(false, ConnectReturnCode::ConnectionAccepted);
    s.handle_bytes(socket, &encode(&connack).expect("encodes"), now);
    drain(&mut s);
    (s, socket)
}

fn drain(s: &mut Session) -> Vec<Event> {
    while s.poll_action().is_some() {}
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn broker_sends<P: mqtt::Encodable>(s: &mut Session, socket: SocketId, p: P, now: Millis) {
    s.handle_bytes(socket, &encode(&p).expect("encodes"), now);
}

#[test]
fn a_puback_for_a_qos2_publish_completes_it_as_the_brokers_downgrade() {
    let (mut s, socket) = connected(1_000);
    let id = s
        .publish("t/q2", b"x".to_vec(), 2, false, 1_000)
        .expect("ok")
        .expect("id");
    drain(&mut s);
    broker_sends(&mut s, socket, PubackPacket::new(id), 1_030);
    let events = drain(&mut s);
    let told = events.iter().position(|e| {
        matches!(e, Event::Qos2AnsweredWithPuback { packet_id, topic, at: 1_030 }
            if *packet_id == id && topic == "t/q2")
    });
    let done = events.iter().position(
        |e| matches!(e, Event::Delivered { packet_id, after_ms: 30, .. } if *packet_id == id),
    );
    assert!(
        told.is_some() && done.is_some() && told < done,
        "{events:?}"
    );
    assert!(s.inflight_rows(1_030).is_empty());
    // The id is free again: a later PUBREC for it is a stray, not a second completion.
    broker_sends(&mut s, socket, PubrecPacket::new(id), 1_040);
    assert!(!drain(&mut s)
        .iter()
        .any(|e| matches!(e, Event::Delivered { .. })));
    let t = qos2_puback_text(id, "t/q2");
    assert!(t.en.contains("PUBACK") && t.en.contains("QoS 1") && t.zh.contains("PUBACK"));
}

#[test]
fn a_qos1_puback_and_a_full_qos2_handshake_are_no_downgrade() {
    let (mut s, socket) = connected(1_000);
    let q1 = s
        .publish("t/q1", b"x".to_vec(), 1, false, 1_000)
        .expect("ok")
        .expect("id");
    let q2 = s
        .publish("t/q2", b"y".to_vec(), 2, false, 1_000)
        .expect("ok")
        .expect("id");
    drain(&mut s);
    broker_sends(&mut s, socket, PubackPacket::new(q1), 1_010);
    broker_sends(&mut s, socket, PubrecPacket::new(q2), 1_020);
    // A PUBACK after the PUBREC is a stray: the message waits for its PUBCOMP.
    broker_sends(&mut s, socket, PubackPacket::new(q2), 1_025);
    assert_eq!(s.inflight_rows(1_025).len(), 1);
    broker_sends(&mut s, socket, PubcompPacket::new(q2), 1_030);
    let events = drain(&mut s);
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Qos2AnsweredWithPuback { .. })));
    let delivered: Vec<u16> = events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered { packet_id, .. } => Some(*packet_id),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![q1, q2]);
    assert!(s.inflight_rows(1_030).is_empty());
}

#[test]
fn a_stray_puback_changes_nothing() {
    let (mut s, socket) = connected(1_000);
    broker_sends(&mut s, socket, PubackPacket::new(42), 1_010);
    assert!(drain(&mut s).iter().all(|e| matches!(e, Event::Packet(_))));
}
