//! The session driven by a scripted broker and a simulated clock.

use super::*;
use crate::framing::{encode, Framer, PacketKind};
use crate::probe::Probe;
use crate::verdicts::VerdictKind;
use mqtt::control::ConnectReturnCode;
use mqtt::packet::suback::SubscribeReturnCode;
use mqtt::packet::*;

/// A session plus everything it said, and the clock.
struct Harness {
    session: Session,
    now: Millis,
    sent: Vec<(SocketId, VariablePacket, bool)>,
    opened: Vec<SocketId>,
    closed: Vec<SocketId>,
    events: Vec<Event>,
}

fn config() -> SessionConfig {
    SessionConfig {
        client_id: "dev1".into(),
        clean_session: false,
        keepalive_secs: 5,
        ..Default::default()
    }
}

impl Harness {
    fn new(config: SessionConfig) -> Self {
        Harness {
            session: Session::new(config),
            now: 1_000,
            sent: vec![],
            opened: vec![],
            closed: vec![],
            events: vec![],
        }
    }

    fn drain(&mut self) {
        while let Some(a) = self.session.poll_action() {
            match a {
                Action::Open { socket, .. } => self.opened.push(socket),
                Action::Send { socket, bytes } => {
                    let mut f = Framer::default();
                    f.push(&bytes);
                    let frame = f
                        .next_frame()
                        .expect("client sends valid packets")
                        .expect("whole");
                    self.sent
                        .push((socket, frame.packet, crate::framing::dup_flag(&frame.raw)));
                }
                Action::Close { socket } => self.closed.push(socket),
            }
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push(e);
        }
    }

    fn socket(&self) -> SocketId {
        *self.opened.last().expect("a socket was opened")
    }

    fn broker_sends<P: mqtt::Encodable>(&mut self, packet: P) {
        let socket = self.socket();
        self.broker_sends_on(socket, packet);
    }

    fn broker_sends_on<P: mqtt::Encodable>(&mut self, socket: SocketId, packet: P) {
        let bytes = encode(&packet).expect("encodes");
        self.session.handle_bytes(socket, &bytes, self.now);
        self.drain();
    }

    /// Connects up to the CONNECT: the socket opened, nothing answered yet.
    fn open(&mut self) {
        self.session.connect(self.now).expect("connect allowed");
        self.drain();
        let socket = self.socket();
        self.session.handle_socket_open(socket, self.now);
        self.drain();
    }

    /// Connects and answers CONNACK with the given Session Present.
    fn connect(&mut self, session_present: bool) {
        self.open();
        self.broker_sends(ConnackPacket::new(
            session_present,
            ConnectReturnCode::ConnectionAccepted,
        ));
    }

    fn advance(&mut self, ms: Millis) {
        self.now += ms;
        self.session.handle_timeout(self.now);
        self.drain();
    }

    fn sent_kinds(&self) -> Vec<PacketKind> {
        self.sent
            .iter()
            .map(|(_, p, _)| describe(p, &[]).kind)
            .collect()
    }

    /// Packets sent since the last call, with their DUP flag.
    fn take_sent(&mut self) -> Vec<(VariablePacket, bool)> {
        self.sent.drain(..).map(|(_, p, dup)| (p, dup)).collect()
    }

    fn messages(&self) -> Vec<&IncomingMessage> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    /// Subscribes and answers the SUBACK with `code`.
    fn subscribed(&mut self, filter: &str, qos: u8, code: SubscribeReturnCode) {
        self.session
            .subscribe(filter, qos, self.now)
            .expect("valid filter");
        self.drain();
        let id = self.last_subscribe_id();
        self.broker_sends(SubackPacket::new(id, vec![code]));
    }

    fn last_subscribe_id(&self) -> u16 {
        self.sent
            .iter()
            .rev()
            .find_map(|(_, p, _)| match p {
                VariablePacket::SubscribePacket(s) => Some(s.packet_identifier()),
                _ => None,
            })
            .expect("a SUBSCRIBE was sent")
    }
}

fn publish(topic: &str, qos: QoSWithPacketIdentifier, payload: &[u8], dup: bool) -> PublishPacket {
    let mut p = PublishPacket::new(
        mqtt::TopicName::new(topic).expect("topic"),
        qos,
        payload.to_vec(),
    );
    p.set_dup(dup);
    p
}

#[test]
fn connect_sends_connect_with_the_configured_flags() {
    let mut h = Harness::new(config());
    h.session.connect(h.now).expect("ok");
    h.drain();
    assert_eq!(h.session.state(), ConnState::Connecting);
    h.session.handle_socket_open(h.socket(), h.now);
    h.drain();
    match &h.sent[0].1 {
        VariablePacket::ConnectPacket(c) => {
            assert_eq!(c.client_identifier(), "dev1");
            assert!(!c.clean_session());
            assert_eq!(c.keep_alive(), 5);
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

#[test]
fn the_connect_password_is_masked_in_the_packet_log() {
    let mut h = Harness::new(SessionConfig {
        username: Some("u".into()),
        password: Some("s3cret".into()),
        ..config()
    });
    h.open();
    let logged = h
        .events
        .iter()
        .find_map(|e| match e {
            Event::Packet(r) if r.summary.kind == PacketKind::Connect => Some(r.clone()),
            _ => None,
        })
        .expect("CONNECT logged");
    assert!(!logged.raw.windows(6).any(|w| w == b"s3cret"));
    assert!(logged
        .summary
        .fields
        .iter()
        .all(|(_, v)| !v.contains("s3cret")));
}

#[test]
fn connack_records_session_present_and_connects() {
    let mut h = Harness::new(config());
    h.connect(true);
    assert_eq!(h.session.state(), ConnState::Connected);
    assert_eq!(h.session.session_present(), Some(true));
}

#[test]
fn a_refused_connect_names_the_reason_and_does_not_reconnect() {
    let mut h = Harness::new(config());
    h.open();
    h.broker_sends(ConnackPacket::new(false, ConnectReturnCode::NotAuthorized));
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Refused {
            refusal: ConnackRefusal::NotAuthorized,
            ..
        }
    )));
    assert_eq!(h.session.state(), ConnState::Disconnected);
    assert_eq!(h.session.poll_timeout(), None, "no reconnect is scheduled");
    assert!(ConnackRefusal::NotAuthorized
        .text()
        .en
        .contains("not authorized"));
    assert!(ConnackRefusal::NotAuthorized.text().zh.contains("未授权"));
}

#[test]
fn every_connack_refusal_code_maps_to_its_own_error() {
    let codes: Vec<u8> = (1..=5)
        .filter_map(|c| ConnackRefusal::from_code(c).map(|r| r.code()))
        .collect();
    assert_eq!(codes, vec![1, 2, 3, 4, 5]);
    assert!(!ConnackRefusal::ServerUnavailable.is_final());
    assert!(ConnackRefusal::BadUsernameOrPassword.is_final());
    assert_eq!(ConnackRefusal::from_code(0), None);
}

#[test]
fn a_lost_connection_reconnects_with_growing_jittered_delays() {
    let mut h = Harness::new(config());
    h.connect(false);
    let mut delays = vec![];
    for _ in 0..4 {
        let socket = h.socket();
        h.session.handle_socket_closed(socket, h.now);
        h.drain();
        let at = h.session.poll_timeout().expect("reconnect scheduled");
        delays.push(at - h.now);
        h.now = at;
        h.session.handle_timeout(h.now);
        h.drain();
        assert_eq!(h.session.state(), ConnState::Connecting);
    }
    for pair in delays.windows(2) {
        assert!(pair[1] > pair[0], "delays grow: {delays:?}");
    }
    assert!(
        delays[0] >= 750 && delays[0] <= 1_250,
        "jitter stays within 25%: {delays:?}"
    );
}

#[test]
fn subscribe_reports_a_lower_granted_qos_and_a_failure() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.subscribed("a/b", 1, SubscribeReturnCode::MaximumQoSLevel0);
    h.session.subscribe("denied", 1, h.now).expect("ok");
    h.drain();
    let id = h.last_subscribe_id();
    h.broker_sends(SubackPacket::new(id, vec![SubscribeReturnCode::Failure]));
    let rows = h.session.subscription_rows();
    assert_eq!(rows[0].granted, Some(0));
    assert_eq!(rows[0].granted_attr(), "0");
    assert!(rows[1].failed);
    assert_eq!(rows[1].granted_attr(), "128");
}

#[test]
fn invalid_filters_and_topics_are_refused_with_a_reason() {
    let mut h = Harness::new(config());
    h.connect(false);
    assert!(matches!(
        h.session.subscribe("a/#/b", 1, h.now),
        Err(CommandError::Topic(_))
    ));
    assert!(matches!(
        h.session.publish("a/+", vec![], 1, false, h.now),
        Err(CommandError::Topic(_))
    ));
    assert_eq!(
        h.session.publish("a", vec![], 3, false, h.now),
        Err(CommandError::Qos(3))
    );
}

#[test]
fn subscriptions_are_sent_again_after_every_connect() {
    let mut h = Harness::new(config());
    h.session
        .subscribe("t", 1, h.now)
        .expect("stored while offline");
    h.connect(true);
    assert_eq!(
        h.sent_kinds()
            .iter()
            .filter(|k| **k == PacketKind::Subscribe)
            .count(),
        1
    );
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    h.sent.clear();
    h.connect(true);
    assert_eq!(
        h.sent_kinds(),
        vec![PacketKind::Connect, PacketKind::Subscribe]
    );
}

#[test]
fn resubscribe_can_be_switched_off() {
    let mut h = Harness::new(SessionConfig {
        resubscribe_on_connect: false,
        ..config()
    });
    h.session.subscribe("t", 1, h.now).expect("ok");
    h.connect(false);
    let id = h.last_subscribe_id();
    h.broker_sends(SubackPacket::new(
        id,
        vec![SubscribeReturnCode::MaximumQoSLevel1],
    ));
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    h.sent.clear();
    h.connect(true);
    assert_eq!(h.sent_kinds(), vec![PacketKind::Connect]);
}

#[test]
fn qos1_publish_completes_on_puback() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 1, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    assert_eq!(h.session.inflight_rows(h.now).len(), 1);
    h.advance(40);
    h.broker_sends(PubackPacket::new(id));
    assert!(h.session.inflight_rows(h.now).is_empty());
    assert!(h.events.iter().any(
        |e| matches!(e, Event::Delivered { packet_id, after_ms: 40, .. } if *packet_id == id)
    ));
}

#[test]
fn qos2_publish_goes_through_pubrec_pubrel_pubcomp() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 2, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    h.broker_sends(PubrecPacket::new(id));
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Pubrel));
    assert_eq!(h.session.inflight_rows(h.now)[0].awaiting, "PUBCOMP");
    h.broker_sends(PubcompPacket::new(id));
    assert!(h.session.inflight_rows(h.now).is_empty());
}

#[test]
fn unacked_publishes_are_resent_with_dup_when_the_session_resumes() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 1, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    h.take_sent();
    h.connect(true);
    let resent = h.take_sent().into_iter().find_map(|(p, dup)| match p {
        VariablePacket::PublishPacket(p) => Some((p, dup)),
        _ => None,
    });
    let (resent, dup) = resent.expect("PUBLISH resent");
    assert!(dup);
    assert_eq!(resent.qos().split().1, Some(id));
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Resent { packet_ids, .. } if packet_ids == &vec![id])));
}

#[test]
fn a_pubrel_is_resent_when_the_session_resumes_after_pubrec() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 2, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    h.broker_sends(PubrecPacket::new(id));
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    h.take_sent();
    h.connect(true);
    assert!(h.sent_kinds().contains(&PacketKind::Pubrel));
    assert!(!h.sent_kinds().contains(&PacketKind::Publish));
}

#[test]
fn unacked_publishes_are_abandoned_with_an_event_when_the_session_is_gone() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 1, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    h.take_sent();
    h.connect(false);
    assert!(!h.sent_kinds().contains(&PacketKind::Publish));
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Abandoned { packet_ids, .. } if packet_ids == &vec![id])));
    assert!(h.session.inflight_rows(h.now).is_empty());
}

#[test]
fn publishes_beyond_the_inflight_window_wait_and_go_out_as_acks_return() {
    let mut h = Harness::new(SessionConfig {
        max_inflight: 2,
        ..config()
    });
    h.connect(false);
    let ids: Vec<u16> = (0..3)
        .map(|_| {
            h.session
                .publish("t", b"x".to_vec(), 1, false, h.now)
                .expect("ok")
                .expect("id")
        })
        .collect();
    h.drain();
    assert_eq!(
        h.sent_kinds()
            .iter()
            .filter(|k| **k == PacketKind::Publish)
            .count(),
        2
    );
    h.broker_sends(PubackPacket::new(ids[0]));
    assert_eq!(
        h.sent_kinds()
            .iter()
            .filter(|k| **k == PacketKind::Publish)
            .count(),
        3
    );
}

#[test]
fn an_idle_connection_sends_pingreq_after_keepalive() {
    let mut h = Harness::new(config());
    h.connect(false);
    assert_eq!(h.session.poll_timeout(), Some(h.now + 5_000));
    h.advance(5_000);
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Pingreq));
    h.advance(30);
    h.broker_sends(PingrespPacket::new());
    assert_eq!(h.session.last_ping_rtt(), Some(30));
}

#[test]
fn a_missing_pingresp_declares_the_connection_lost_and_reconnects() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.advance(5_000);
    h.advance(10_000);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::PingTimeout,
            ..
        }
    )));
    assert!(matches!(h.session.state(), ConnState::Reconnecting { .. }));
}

#[test]
fn a_missing_connack_times_out() {
    let mut h = Harness::new(config());
    h.open();
    h.advance(10_000);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::ConnackTimeout,
            ..
        }
    )));
}

#[test]
fn incoming_qos1_is_acked_at_once() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(9),
        b"hi",
        false,
    ));
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Puback));
    assert_eq!(h.messages()[0].verdict.kind, VerdictKind::Live);
}

#[test]
fn incoming_qos2_is_delivered_exactly_once_even_if_resent_before_pubrel() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level2(4),
        b"once",
        false,
    ));
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level2(4),
        b"once",
        true,
    ));
    let verdicts: Vec<VerdictKind> = h.messages().iter().map(|m| m.verdict.kind).collect();
    assert_eq!(verdicts, vec![VerdictKind::Live, VerdictKind::Redelivered]);
    h.broker_sends(PubrelPacket::new(4));
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Pubcomp));
}

#[test]
fn manual_ack_withholds_the_puback_until_the_user_acks() {
    let mut h = Harness::new(SessionConfig {
        manual_ack: true,
        ..config()
    });
    h.connect(false);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(3),
        b"x",
        false,
    ));
    assert!(!h.sent_kinds().contains(&PacketKind::Puback));
    let rows = h.session.inflight_rows(h.now);
    assert_eq!(rows[0].kind, InflightKind::AckWithheld);
    assert_eq!(rows[0].remaining_ms, 10_000);
    h.advance(4_000);
    assert_eq!(h.session.inflight_rows(h.now)[0].remaining_ms, 6_000);
    h.session.ack(3, h.now).expect("acked");
    h.drain();
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Puback));
    assert!(h.session.inflight_rows(h.now).is_empty());
}

#[test]
fn a_withheld_ack_passing_the_broker_timeout_is_reported() {
    let mut h = Harness::new(SessionConfig {
        manual_ack: true,
        ..config()
    });
    h.connect(false);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(3),
        b"x",
        false,
    ));
    h.advance(10_000);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::BrokerAckTimeout { packet_id: 3, .. })));
}

#[test]
fn probes_sent_while_offline_are_certainly_offline_after_reconnect() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.drop_connection(h.now);
    h.drain();
    h.now += 1_000;
    let probe = Probe {
        series: "s1".into(),
        seq: 1,
        sent_at: h.now,
    };
    h.now += 2_000;
    h.connect(true);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(1),
        &probe.encode(""),
        false,
    ));
    let m = h.messages()[0];
    assert_eq!(m.verdict.kind, VerdictKind::Offline);
    assert_eq!(m.verdict.certainty, crate::verdicts::Certainty::Certain);
    assert_eq!(m.probe.as_ref().map(|p| p.1), Some(1));
}

#[test]
fn a_probe_sent_before_the_page_ever_saw_the_device_connected_is_only_inferred_offline() {
    let mut h = Harness::new(config());
    let probe = Probe {
        series: "s1".into(),
        seq: 1,
        sent_at: h.now,
    };
    h.now += 2_000;
    h.connect(true);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(1),
        &probe.encode(""),
        false,
    ));
    let m = h.messages()[0];
    assert_eq!(m.verdict.kind, VerdictKind::Offline);
    assert_eq!(m.verdict.certainty, crate::verdicts::Certainty::Inferred);
}

#[test]
fn a_live_stream_after_a_resumed_session_is_live_once_the_replay_ends() {
    let mut h = Harness::new(config());
    h.connect(true);
    // Three stored messages back to back, then a 5 Hz stream.
    for id in 1..=3 {
        h.now += 2;
        h.broker_sends(publish(
            "t",
            QoSWithPacketIdentifier::Level1(id),
            b"stored",
            false,
        ));
    }
    for id in 4..=20 {
        // The driver fires the replay timer in the pause, as the page's Timeout does.
        h.advance(200);
        h.broker_sends(publish(
            "t",
            QoSWithPacketIdentifier::Level1(id),
            b"live",
            false,
        ));
    }
    let kinds: Vec<VerdictKind> = h.messages().iter().map(|m| m.verdict.kind).collect();
    assert_eq!(&kinds[..3], &[VerdictKind::Offline; 3]);
    // The first live one falls inside the window pause a dense replay is allowed (inferred,
    // and its evidence says "stored, or live in the same moment"); every later one is live.
    assert!(
        kinds[4..].iter().all(|k| *k == VerdictKind::Live),
        "every message of the stream after the replay is live: {kinds:?}"
    );
}

#[test]
fn a_drain_delayed_by_the_page_itself_stays_one_replay() {
    // Measured against mosquitto: 66,000 stored messages, the page busy rendering between
    // arrivals; with gaps judged from arrival times, 65,640 of them were called live. A gap
    // no replay timer witnessed (the page was busy, the messages waited in the socket) does
    // not end the replay.
    let mut h = Harness::new(config());
    h.connect(true);
    for id in 1..=50u16 {
        h.now += if id % 10 == 0 { 400 } else { 1 };
        h.broker_sends(publish(
            "t",
            QoSWithPacketIdentifier::Level1(id),
            b"stored",
            false,
        ));
    }
    assert!(h
        .messages()
        .iter()
        .all(|m| m.verdict.kind == VerdictKind::Offline));
    // Once the timer fires in a real pause, the next arrival is live.
    let quiet = h.session.poll_timeout().expect("the replay timer");
    assert!(quiet <= h.now + 300);
    h.advance(quiet - h.now);
    h.now += 50;
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(51),
        b"live",
        false,
    ));
    assert_eq!(
        h.messages().last().expect("a message").verdict.kind,
        VerdictKind::Live
    );
}

#[test]
fn a_replay_paced_by_acks_on_a_slow_broker_stays_one_replay() {
    // Windows of 20 stored messages, each sent 250 ms after the acks of the one before (a
    // loaded broker), timers firing as the page fires them: still one replay.
    let mut h = Harness::new(config());
    h.connect(true);
    let mut id = 0u16;
    for _window in 0..5 {
        for _ in 0..20 {
            id += 1;
            h.now += 1;
            h.broker_sends(publish(
                "t",
                QoSWithPacketIdentifier::Level1(id),
                b"stored",
                false,
            ));
        }
        h.advance(250);
    }
    let kinds: Vec<VerdictKind> = h.messages().iter().map(|m| m.verdict.kind).collect();
    assert!(
        kinds.iter().all(|k| *k == VerdictKind::Offline),
        "{kinds:?}"
    );
}

#[test]
fn a_retained_message_stored_while_away_arrives_twice_and_the_second_is_its_retained_copy() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.drop_connection(h.now);
    h.drain();
    h.now += 1_000;
    let probe = Probe {
        series: "r1".into(),
        seq: 1,
        sent_at: h.now,
    };
    h.now += 1_000;
    h.connect(true);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(1),
        &probe.encode(""),
        false,
    ));
    let mut retained = publish(
        "t",
        QoSWithPacketIdentifier::Level1(2),
        &probe.encode(""),
        false,
    );
    retained.set_retain(true);
    h.broker_sends(retained);
    let mut plain = publish("u", QoSWithPacketIdentifier::Level1(3), b"state", false);
    h.broker_sends(plain.clone());
    plain.set_retain(true);
    h.broker_sends(plain);
    let v: Vec<(VerdictKind, crate::verdicts::Evidence)> = h
        .messages()
        .iter()
        .map(|m| (m.verdict.kind, m.verdict.evidence.clone()))
        .collect();
    assert_eq!(v[0].0, VerdictKind::Offline);
    assert_eq!(
        v[1],
        (
            VerdictKind::Retained,
            crate::verdicts::Evidence::RetainedCopy
        )
    );
    assert_eq!(
        v[3],
        (
            VerdictKind::Retained,
            crate::verdicts::Evidence::RetainedCopy
        ),
        "a plain payload's retained copy is recognised too"
    );
}

#[test]
fn a_wiped_session_forgets_what_was_pushed_into_the_dead_connection() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    let old = h.socket();
    h.broker_sends_on(
        old,
        publish("hb", QoSWithPacketIdentifier::Level1(5), b"on", false),
    );
    h.now += 3_000;
    h.connect(false);
    h.now += 3_000;
    h.broker_sends(publish(
        "hb",
        QoSWithPacketIdentifier::Level1(9),
        b"on",
        false,
    ));
    let last = *h.messages().last().expect("a message");
    assert_eq!(last.verdict.kind, VerdictKind::Live);
}

#[test]
fn a_repeated_plain_payload_without_dup_is_not_linked_to_a_dead_delivery() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    let old = h.socket();
    h.broker_sends_on(
        old,
        publish("hb", QoSWithPacketIdentifier::Level1(5), b"on", false),
    );
    h.now += 3_000;
    h.connect(true);
    h.advance(3_000);
    h.broker_sends(publish(
        "hb",
        QoSWithPacketIdentifier::Level1(9),
        b"on",
        false,
    ));
    let last = *h.messages().last().expect("a message");
    assert_eq!(last.verdict.kind, VerdictKind::Live);
}

#[test]
fn plain_messages_right_after_a_resumed_session_are_inferred_offline() {
    let mut h = Harness::new(config());
    h.connect(true);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(1),
        b"a",
        false,
    ));
    h.advance(2_000);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(2),
        b"b",
        false,
    ));
    let kinds: Vec<VerdictKind> = h.messages().iter().map(|m| m.verdict.kind).collect();
    assert_eq!(kinds, vec![VerdictKind::Offline, VerdictKind::Live]);
}

#[test]
fn a_silent_device_sends_nothing_and_never_acks() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.now += 1_000;
    let last_sent = h.now;
    h.session
        .publish("t", b"x".to_vec(), 0, false, h.now)
        .expect("ok");
    h.drain();
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    assert_eq!(h.session.state(), ConnState::Silent);
    h.sent.clear();
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(5),
        b"pushed",
        false,
    ));
    h.advance(60_000);
    assert!(
        h.sent.is_empty(),
        "nothing leaves while silent: {:?}",
        h.sent_kinds()
    );
    assert!(h.messages()[0].into_dead_connection);
    let notice = h.session.broker_notice(h.now).expect("silent");
    assert_eq!(notice.predicted_at, last_sent + 7_500);
    assert!(matches!(
        h.session.publish("t", vec![], 0, false, h.now),
        Err(CommandError::NotConnected)
    ));
}

#[test]
fn the_broker_notice_counts_down_from_the_last_packet_sent() {
    let mut h = Harness::new(config());
    h.connect(false);
    let connected_at = h.now;
    h.now += 2_000;
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    let n = h.session.broker_notice(h.now).expect("silent");
    assert_eq!(n.remaining_ms, connected_at + 7_500 - h.now);
    let rows_before = h.session.inflight_rows(h.now).len();
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(5),
        b"p",
        false,
    ));
    let rows = h.session.inflight_rows(h.now);
    assert_eq!(rows.len(), rows_before + 1);
    assert_eq!(rows[0].kind, InflightKind::DeadDelivery);
}

#[test]
fn the_broker_closing_a_silent_connection_is_reported_against_the_prediction() {
    let mut h = Harness::new(config());
    h.connect(false);
    let last = h.now;
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    h.now += 9_500;
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    assert!(h.events.iter().any(|e| matches!(e,
        Event::SilentConnectionClosed { at, predicted_at, .. } if *predicted_at == last + 7_500 && *at == last + 9_500)));
    assert_eq!(h.session.state(), ConnState::Disconnected);
}

#[test]
fn connecting_while_silent_takes_over_and_links_redeliveries_to_dead_ones() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    let old = h.socket();
    h.broker_sends_on(
        old,
        publish("t", QoSWithPacketIdentifier::Level1(5), b"lost", false),
    );
    h.now += 3_000;
    h.connect(true);
    assert_ne!(h.socket(), old);
    assert!(
        !h.closed.contains(&old),
        "the page leaves the old socket for the broker to close"
    );
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(5),
        b"lost",
        true,
    ));
    let back = h.messages()[1];
    assert_eq!(back.verdict.kind, VerdictKind::Redelivered);
    assert!(matches!(
        back.verdict.evidence,
        crate::verdicts::Evidence::PushedIntoDeadConnection {
            delay_ms: 3_000,
            ..
        }
    ));
    h.session.handle_socket_closed(old, h.now);
    h.drain();
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::SilentConnectionClosed { socket, .. } if *socket == old)));
    assert_eq!(h.session.state(), ConnState::Connected);
}

#[test]
fn malformed_bytes_become_a_protocol_error_and_close_the_connection() {
    let mut h = Harness::new(config());
    h.connect(false);
    let socket = h.socket();
    h.session
        .handle_bytes(socket, &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], h.now);
    h.drain();
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::Protocol(_),
            ..
        }
    )));
    assert!(h.closed.contains(&socket));
}

#[test]
fn a_packet_a_client_never_receives_closes_the_connection() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.broker_sends(SubscribePacket::new(1, vec![]));
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::UnexpectedPacket(_),
            ..
        }
    )));
}

#[test]
fn disconnect_sends_disconnect_and_drop_does_not() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.disconnect(h.now);
    h.drain();
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Disconnect));
    assert_eq!(h.session.state(), ConnState::Disconnected);
    h.sent.clear();
    h.connect(true);
    h.sent.clear();
    h.session.drop_connection(h.now);
    h.drain();
    assert!(h.sent.is_empty());
    assert_eq!(h.session.poll_timeout(), None, "a drop does not reconnect");
}

#[test]
fn an_empty_client_id_needs_a_clean_session() {
    let mut h = Harness::new(SessionConfig {
        client_id: String::new(),
        ..config()
    });
    assert_eq!(
        h.session.connect(h.now),
        Err(CommandError::EmptyClientIdNeedsCleanSession)
    );
}

#[test]
fn a_stray_suback_does_not_free_the_id_of_an_inflight_publish() {
    let mut h = Harness::new(config());
    h.connect(false);
    let id = h
        .session
        .publish("t", b"x".to_vec(), 1, false, h.now)
        .expect("ok")
        .expect("id");
    h.drain();
    h.broker_sends(SubackPacket::new(
        id,
        vec![SubscribeReturnCode::MaximumQoSLevel1],
    ));
    h.broker_sends(UnsubackPacket::new(id));
    assert!(
        h.session.ids.is_in_use(id),
        "the PUBLISH still holds its id"
    );
}

#[test]
fn a_user_connect_while_reconnecting_cancels_the_scheduled_attempt() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    assert!(matches!(h.session.state(), ConnState::Reconnecting { .. }));
    h.connect(true);
    let live = h.socket();
    h.advance(60_000);
    assert!(
        !h.closed.contains(&live),
        "the scheduled attempt must not replace the live connection"
    );
    assert_eq!(h.session.state(), ConnState::Connected);
}

#[test]
fn requests_awaiting_an_answer_do_not_leak_ids_across_a_takeover() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.subscribe("t", 1, h.now).expect("ok");
    h.drain();
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    h.connect(true);
    assert_eq!(
        h.session.ids.in_use(),
        1,
        "only the resubscribe of the new connection holds an id"
    );
}

#[test]
fn mqtt_3_1_connects_with_mqisdp_level_3() {
    let mut h = Harness::new(SessionConfig {
        protocol: ProtocolVersion::V31,
        ..config()
    });
    h.open();
    match &h.sent[0].1 {
        VariablePacket::ConnectPacket(c) => {
            assert_eq!(c.protocol_name(), "MQIsdp");
            assert_eq!(c.protocol_level() as u8, 3);
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

#[test]
fn unsubscribe_removes_the_subscription_on_unsuback() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.subscribed("t", 1, SubscribeReturnCode::MaximumQoSLevel1);
    h.session.unsubscribe("t", h.now).expect("ok");
    h.drain();
    let unsub_id = h
        .sent
        .iter()
        .rev()
        .find_map(|(_, p, _)| match p {
            VariablePacket::UnsubscribePacket(u) => Some(u.packet_identifier()),
            _ => None,
        })
        .expect("UNSUBSCRIBE sent");
    assert_eq!(
        h.session.subscription_rows().len(),
        1,
        "kept until UNSUBACK"
    );
    h.broker_sends(UnsubackPacket::new(unsub_id));
    assert!(h.session.subscription_rows().is_empty());
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Unsubscribed { filter, .. } if filter == "t")));
}

#[test]
fn the_will_goes_into_connect() {
    let mut h = Harness::new(SessionConfig {
        will: Some(Will {
            topic: "w".into(),
            payload: b"gone".to_vec(),
            qos: 1,
            retain: true,
        }),
        ..config()
    });
    h.open();
    match &h.sent[0].1 {
        VariablePacket::ConnectPacket(c) => {
            assert_eq!(c.will(), Some(("w", &b"gone"[..])));
            assert_eq!(c.will_qos(), 1);
            assert!(c.will_retain());
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

// ---- settings belong to the connection they opened --------------------------------------

#[test]
fn a_silent_socket_keeps_its_keepalive_when_the_device_connects_with_new_settings() {
    let mut h = Harness::new(config());
    h.connect(false);
    let last = h.now;
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    let old = h.socket();
    h.now += 1_000;
    let edited = SessionConfig {
        keepalive_secs: 60,
        client_id: "dev1-renamed".into(),
        ..config()
    };
    h.session.connect_with(edited, h.now).expect("a takeover");
    h.drain();
    h.session.handle_socket_open(h.socket(), h.now);
    h.drain();
    h.broker_sends(ConnackPacket::new(
        true,
        ConnectReturnCode::ConnectionAccepted,
    ));
    let notice = h.session.broker_notice(h.now).expect("the dead socket");
    assert_eq!(
        notice.predicted_at,
        last + 7_500,
        "still 1.5 x the 5 s keepalive the old socket promised"
    );
    h.now += 20_000;
    h.session.handle_socket_closed(old, h.now);
    h.drain();
    assert!(h.events.iter().any(|e| matches!(e,
        Event::SilentConnectionClosed { socket, predicted_at, .. }
            if *socket == old && *predicted_at == last + 7_500)));
    assert!(h.events.iter().any(|e| matches!(e,
        Event::Connected { client_id, .. } if client_id == "dev1-renamed")));
}

#[test]
fn a_refused_connect_leaves_the_settings_of_the_live_connection_alone() {
    let mut h = Harness::new(config());
    h.connect(false);
    let edited = SessionConfig {
        keepalive_secs: 60,
        ..config()
    };
    assert_eq!(
        h.session.connect_with(edited, h.now),
        Err(CommandError::AlreadyConnected)
    );
    assert_eq!(h.session.config().keepalive_secs, 5);
    assert_eq!(h.session.next_ping_at(), Some(h.now + 5_000));
}

#[test]
fn the_live_connection_pings_on_the_keepalive_it_was_opened_with() {
    let mut h = Harness::new(config());
    h.connect(false);
    let connected_at = h.now;
    h.session.go_silent(h.now).expect("ok");
    h.drain();
    h.session
        .connect_with(
            SessionConfig {
                keepalive_secs: 2,
                ..config()
            },
            h.now,
        )
        .expect("ok");
    h.drain();
    h.session.handle_socket_open(h.socket(), h.now);
    h.drain();
    h.broker_sends(ConnackPacket::new(
        true,
        ConnectReturnCode::ConnectionAccepted,
    ));
    assert_eq!(h.session.next_ping_at(), Some(connected_at + 2_000));
}

// ---- one timer table -------------------------------------------------------------------

#[test]
fn poll_timeout_names_exactly_the_deadline_that_handle_timeout_fires() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.sent.clear();
    let at = h.session.poll_timeout().expect("keepalive");
    h.now = at - 1;
    h.session.handle_timeout(h.now);
    h.drain();
    assert!(h.sent.is_empty(), "nothing fires a millisecond early");
    h.now = at;
    h.session.handle_timeout(h.now);
    h.drain();
    assert_eq!(h.sent_kinds(), vec![PacketKind::Pingreq]);
    assert_eq!(
        h.session.poll_timeout(),
        Some(at + 10_000),
        "ping response deadline"
    );
}

// ---- the probe series ------------------------------------------------------------------

fn probe_plan(count: u32, interval_ms: u32) -> crate::probe::ProbePlan {
    crate::probe::ProbePlan::new(count, interval_ms).expect("valid plan")
}

fn sent_probe_seqs(h: &Harness) -> Vec<u32> {
    h.sent
        .iter()
        .filter_map(|(_, p, _)| match p {
            VariablePacket::PublishPacket(p) => Probe::parse(p.payload()).map(|pr| pr.seq),
            _ => None,
        })
        .collect()
}

#[test]
fn a_probe_series_sends_one_now_and_the_rest_on_its_timer() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.sent.clear();
    let series = h
        .session
        .start_probe_series("t", 1, probe_plan(3, 200), 7, h.now)
        .expect("started");
    h.drain();
    assert_eq!(sent_probe_seqs(&h), vec![1]);
    assert_eq!(h.session.poll_timeout(), Some(h.now + 200));
    h.advance(199);
    assert_eq!(sent_probe_seqs(&h), vec![1]);
    h.advance(1);
    h.advance(200);
    assert_eq!(sent_probe_seqs(&h), vec![1, 2, 3]);
    let progress = h.session.probe_series_progress().expect("a series");
    assert_eq!(
        (
            progress.series,
            progress.sent,
            progress.total,
            progress.running
        ),
        (series, 3, 3, false)
    );
    h.advance(1_000);
    assert_eq!(sent_probe_seqs(&h).len(), 3, "nothing after the last probe");
}

#[test]
fn a_probe_series_with_no_interval_goes_out_in_batches() {
    let mut h = Harness::new(SessionConfig {
        max_inflight: 1_000,
        ..config()
    });
    h.connect(false);
    h.sent.clear();
    h.session
        .start_probe_series("t", 1, probe_plan(250, 0), 7, h.now)
        .expect("started");
    h.drain();
    assert_eq!(sent_probe_seqs(&h).len(), 100);
    assert_eq!(h.session.poll_timeout(), Some(h.now), "the rest is due now");
    h.advance(0);
    h.advance(0);
    assert_eq!(sent_probe_seqs(&h), (1..=250).collect::<Vec<u32>>());
}

#[test]
fn a_probe_series_stops_with_a_reason_when_the_connection_goes() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session
        .start_probe_series("t", 1, probe_plan(5, 100), 7, h.now)
        .expect("started");
    h.drain();
    h.session.drop_connection(h.now);
    h.drain();
    h.advance(100);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::ProbeSeriesStopped {
            sent: 1,
            total: 5,
            error: CommandError::NotConnected,
            ..
        }
    )));
    let progress = h.session.probe_series_progress().expect("a series");
    assert!(!progress.running);
    assert_eq!(
        h.session.timer_table().get(timers::Timer::ProbeSeries),
        None,
        "its timer stopped too"
    );
}

#[test]
fn a_probe_series_is_refused_before_it_starts_when_it_cannot_run() {
    let mut h = Harness::new(config());
    assert_eq!(
        h.session
            .start_probe_series("t", 1, probe_plan(5, 100), 7, h.now),
        Err(CommandError::NotConnected)
    );
    h.connect(false);
    assert!(matches!(
        h.session
            .start_probe_series("a/#", 1, probe_plan(5, 100), 7, h.now),
        Err(CommandError::Topic(_))
    ));
    assert_eq!(h.session.probe_series_progress(), None);
}

// ---- hostile brokers -------------------------------------------------------------------

#[test]
fn a_suback_with_too_few_return_codes_is_a_protocol_error() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.subscribe("a", 1, h.now).expect("ok");
    h.drain();
    let id = h.last_subscribe_id();
    h.broker_sends(SubackPacket::new(id, vec![]));
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::SubackMismatch {
                filters: 1,
                codes: 0
            },
            ..
        }
    )));
    assert!(matches!(h.session.state(), ConnState::Reconnecting { .. }));
    assert!(
        h.session.subscription_rows()[0].pending,
        "sent again on the next connect"
    );
}

#[test]
fn a_broker_that_accepts_then_fails_gets_a_growing_backoff_not_a_loop() {
    let mut h = Harness::new(config());
    let mut delays = vec![];
    h.connect(false);
    for _ in 0..4 {
        // CONNACK, then a packet a client never receives: the same failure every time.
        h.broker_sends(PingreqPacket::new());
        let at = h.session.poll_timeout().expect("a reconnect");
        delays.push(at - h.now);
        h.now = at;
        h.session.handle_timeout(h.now);
        h.drain();
        h.session.handle_socket_open(h.socket(), h.now);
        h.drain();
        h.broker_sends(ConnackPacket::new(
            true,
            ConnectReturnCode::ConnectionAccepted,
        ));
    }
    for pair in delays.windows(2) {
        assert!(
            pair[1] > pair[0],
            "CONNACK does not reset the backoff: {delays:?}"
        );
    }
    h.broker_sends(PingreqPacket::new());
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::ReconnectStopped {
            failures: MAX_IDENTICAL_FAILURES,
            ..
        }
    )));
    assert_eq!(h.session.state(), ConnState::Disconnected);
    assert_eq!(h.session.timer_table().get(timers::Timer::Reconnect), None);
}

#[test]
fn a_connection_that_stayed_up_resets_the_backoff() {
    let mut h = Harness::new(config());
    h.connect(false);
    for _ in 0..3 {
        h.session.handle_socket_closed(h.socket(), h.now);
        h.drain();
        h.now = h.session.poll_timeout().expect("a reconnect");
        h.session.handle_timeout(h.now);
        h.drain();
        h.session.handle_socket_open(h.socket(), h.now);
        h.drain();
        h.broker_sends(ConnackPacket::new(
            true,
            ConnectReturnCode::ConnectionAccepted,
        ));
    }
    h.advance(31_000);
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    let delay = h.session.poll_timeout().expect("a reconnect") - h.now;
    assert!(delay <= 1_250, "back to the first step: {delay}");
}

// ---- the browser's network -------------------------------------------------------------

#[test]
fn browser_offline_makes_the_live_connection_silent_and_online_reconnects_at_once() {
    let mut h = Harness::new(config());
    h.connect(false);
    let old = h.socket();
    h.now += 1_000;
    h.session.network_down(h.now);
    h.drain();
    assert_eq!(h.session.state(), ConnState::Silent);
    assert!(
        h.session.broker_notice(h.now).is_some(),
        "the broker's clock runs"
    );
    h.sent.clear();
    h.advance(20_000);
    assert!(h.sent.is_empty(), "nothing is sent while offline");
    h.session.network_up(h.now);
    h.drain();
    assert_ne!(h.socket(), old, "a new socket at once");
    assert_eq!(h.session.state(), ConnState::Connecting);
    h.session.handle_socket_open(h.socket(), h.now);
    h.drain();
    h.broker_sends(ConnackPacket::new(
        true,
        ConnectReturnCode::ConnectionAccepted,
    ));
    h.session.handle_socket_closed(old, h.now);
    h.drain();
    assert!(h.events.iter().any(|e| matches!(e,
        Event::SilentConnectionClosed { socket, taken_over: true, .. } if *socket == old)));
}

#[test]
fn a_device_the_user_took_offline_stays_offline_when_the_network_returns() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.disconnect(h.now);
    h.drain();
    h.session.network_down(h.now);
    h.session.network_up(h.now);
    h.drain();
    assert_eq!(h.session.state(), ConnState::Disconnected);
}

#[test]
fn a_reconnect_waiting_out_its_backoff_goes_at_once_when_the_network_returns() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    assert!(matches!(h.session.state(), ConnState::Reconnecting { .. }));
    h.session.network_down(h.now);
    h.drain();
    assert_eq!(h.session.timer_table().get(timers::Timer::Reconnect), None);
    h.now += 100;
    h.session.network_up(h.now);
    h.drain();
    assert_eq!(h.session.state(), ConnState::Connecting);
}

#[test]
fn a_new_publish_reusing_an_unacknowledged_id_is_reported() {
    let mut h = Harness::new(SessionConfig {
        manual_ack: true,
        ..config()
    });
    h.connect(false);
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(7),
        b"a",
        false,
    ));
    h.broker_sends(publish("t", QoSWithPacketIdentifier::Level1(7), b"a", true));
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, Event::PacketIdReused { .. })),
        "a DUP=1 resend is no reuse"
    );
    h.broker_sends(publish(
        "t",
        QoSWithPacketIdentifier::Level1(7),
        b"b",
        false,
    ));
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::PacketIdReused { packet_id: 7, .. })));
}

// ---- faults found by the network tests ---------------------------------------------------

#[test]
fn two_devices_with_their_own_seeds_do_not_retry_in_step() {
    let delays = |seed: u64| {
        let mut h = Harness::new(config());
        h.session
            .connect_with(SessionConfig { seed, ..config() }, h.now)
            .expect("ok");
        h.drain();
        let mut out = vec![];
        for _ in 0..4 {
            h.session.handle_socket_closed(h.socket(), h.now);
            h.drain();
            let at = h.session.poll_timeout().expect("a reconnect");
            out.push(at - h.now);
            h.now = at;
            h.session.handle_timeout(h.now);
            h.drain();
        }
        out
    };
    assert_ne!(delays(1), delays(0xdead_beef));
}

#[test]
fn a_websocket_that_never_opens_is_given_up_after_the_connack_timeout() {
    let mut h = Harness::new(config());
    h.session.connect(h.now).expect("ok");
    h.drain();
    assert_eq!(h.session.poll_timeout(), Some(h.now + 10_000));
    h.advance(10_000);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::OpenTimeout,
            ..
        }
    )));
    assert!(matches!(h.session.state(), ConnState::Reconnecting { .. }));
}

#[test]
fn a_probe_series_pauses_while_its_device_reconnects_and_catches_up() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.session
        .start_probe_series("t", 1, probe_plan(5, 100), 7, h.now)
        .expect("started");
    h.drain();
    h.session.handle_socket_closed(h.socket(), h.now);
    h.drain();
    assert_eq!(
        h.session.timer_table().get(timers::Timer::ProbeSeries),
        None,
        "no busy timer while reconnecting"
    );
    h.now += 1_500;
    h.sent.clear();
    h.connect(true);
    h.advance(0);
    assert_eq!(
        sent_probe_seqs(&h),
        vec![1, 2, 3, 4, 5],
        "probe 1 resent with the session, the due ones go out on return"
    );
    assert!(!h
        .events
        .iter()
        .any(|e| matches!(e, Event::ProbeSeriesStopped { .. })));
}

#[test]
fn a_flapping_network_does_not_push_the_backoff_to_its_ceiling() {
    let mut h = Harness::new(config());
    h.connect(false);
    let mut delays = vec![];
    for _ in 0..6 {
        h.now += 2_500;
        h.session.handle_socket_closed(h.socket(), h.now);
        h.drain();
        let at = h.session.poll_timeout().expect("a reconnect");
        delays.push(at - h.now);
        h.now = at;
        h.session.handle_timeout(h.now);
        h.drain();
        h.session.handle_socket_open(h.socket(), h.now);
        h.drain();
        h.broker_sends(ConnackPacket::new(
            true,
            ConnectReturnCode::ConnectionAccepted,
        ));
    }
    assert!(
        delays.iter().all(|d| *d <= 1_250),
        "each connection worked for 2.5 s: {delays:?}"
    );
}

#[test]
fn a_pingresp_behind_a_backlog_of_messages_does_not_declare_the_connection_lost() {
    let mut h = Harness::new(config());
    h.connect(false);
    h.advance(5_000);
    assert_eq!(h.sent_kinds().last(), Some(&PacketKind::Pingreq));
    // Messages keep arriving (QoS 0: nothing is sent back) while the PINGRESP is queued.
    for _ in 0..15 {
        h.now += 1_000;
        h.broker_sends(publish("t", QoSWithPacketIdentifier::Level0, b"m", false));
        h.session.handle_timeout(h.now);
        h.drain();
    }
    assert_eq!(
        h.session.state(),
        ConnState::Connected,
        "alive: packets arrive"
    );
    h.broker_sends(PingrespPacket::new());
    h.advance(20_000);
    assert!(!h.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: CloseReason::PingTimeout,
            ..
        }
    )));
}
