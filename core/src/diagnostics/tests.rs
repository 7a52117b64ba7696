//! Properties of the findings as a whole; each rule's cases live in the truth table.

use super::testkit::*;
use super::*;
use crate::session::CloseReason;

#[test]
fn findings_come_errors_first_then_by_device() {
    let mut w = World::of(vec![dev("rx", true), dev("tx", true)]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "t", 1)
        .drop_socket(2_000);
    w[1].connect(2_500, false).publish(3_000, "t", 1);
    w[0].connect(4_000, false).suback(4_100, "secret", 1, None);
    let f = w.findings(5_000);
    let keys: Vec<_> = f.iter().map(|f| (f.severity, f.device)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(f[0].severity, Severity::Error);
}

#[test]
fn rule_ids_are_unique_and_spelled_as_data_rule_values() {
    let mut ids = RULES.to_vec();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    for rule in RULES {
        let ok = rule
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        assert!(ok, "{rule}");
    }
}

#[test]
fn a_finding_clears_when_its_condition_passes() {
    // Recomputed, never stored: session-lost goes once Session Present = 1 is back.
    let mut w = World::of(vec![dev("rx", false)]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "t", 1)
        .disconnect(2_000)
        .connect(3_000, false);
    assert!(w.rules(3_500).contains(&"session-lost"));
    w[0].disconnect(4_000).connect(5_000, true);
    assert!(!w.rules(5_500).contains(&"session-lost"));
}

#[test]
fn ack_timeout_pending_counts_down_to_the_last_push_and_clears() {
    let mut w = World::of(vec![dev("rx", false)]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "t", 1)
        .go_silent(5_000);
    w[0].receive(6_000, msg("t", "a").dead())
        .receive(7_000, msg("t", "b").dead());
    let f = w.finding(8_000, "ack-timeout-pending").expect("fires");
    assert_eq!(f.remaining_ms, Some(9_000), "the last push's deadline");
    assert_eq!(f.at, Some(6_000), "at the first push");
    assert!(
        w.finding(17_000, "ack-timeout-pending").is_none(),
        "after both deadlines"
    );
}

#[test]
fn a_session_wiped_by_a_clean_connect_names_that_connect() {
    let mut w = World::of(vec![dev("rx", false)]);
    w[0].connect(1_000, false)
        .subscribe(1_100, "t", 1)
        .disconnect(2_000);
    w[0].settings.clean_session = true;
    w[0].connect(3_000, false).disconnect(4_000);
    w[0].settings.clean_session = false;
    w[0].connect(5_000, false);
    let f = w.finding(6_000, "session-lost").expect("fires");
    assert!(
        f.explanation.en.contains("cleanSession=1 connect"),
        "{}",
        f.explanation.en
    );
}

#[test]
fn client_id_conflict_names_the_twin_device() {
    let mut w = World::of(vec![dev("same", false), dev("same", false)]);
    w[0].connect(1_000, false);
    w[1].connect(1_500, true);
    let f = w.finding(2_000, "client-id-conflict").expect("fires");
    assert!(f.evidence.en.contains("device 2"), "{}", f.evidence.en);
}

#[test]
fn a_takeover_close_is_no_kick() {
    // Closes that follow this device's own PUBLISH are the broker answering it.
    let mut w = World::of(vec![dev("rx", false)]);
    w[0].connect(1_000, false)
        .publish(1_100, "t", 0)
        .lost(1_200);
    w[0].connect(2_000, true).publish(2_100, "t", 0).lost(2_200);
    assert!(!w.rules(3_000).contains(&"client-id-conflict"));
    w[0].connect(4_000, true).lost(9_000);
    w[0].connect(10_000, true).lost(15_000);
    assert!(w.rules(16_000).contains(&"client-id-conflict"));
}

#[test]
fn a_protocol_failure_is_a_loop_without_a_trigger_packet() {
    let mut d = dev("rx", false);
    for i in 0..3u64 {
        d.connect(1_000 + i * 2_000, false).closed_for(
            1_100 + i * 2_000,
            CloseReason::UnexpectedPacket("CONNACK".into()),
        );
    }
    let w = World::of(vec![d]);
    assert!(w.rules(8_000).contains(&"reconnect-loop"));
}

#[test]
fn probe_gap_names_a_qos0_hop() {
    let mut w = World::of(vec![dev("rx", false), dev("tx", true)]);
    w[0].connect(1_000, false)
        .suback(1_100, "p", 1, Some(0))
        .drop_socket(1_500);
    w[1].connect(1_000, false);
    let sent = w[1].probe_series(2_000, "s1", "p", 1, 3, 3, 10);
    w[0].connect(3_000, true);
    let (seq, at) = sent[0];
    w[0].receive(3_010, msg("p", "").qos(0).probe("s1", seq, at));
    let f = w.finding(30_000, "probe-gap").expect("fires");
    assert!(
        f.explanation.en.contains("QoS 0 hop"),
        "{}",
        f.explanation.en
    );
}

#[test]
fn every_finding_has_text_in_both_languages() {
    let mut w = World::of(vec![dev("rx", true)]);
    w[0].connect(1_000, false).suback(1_100, "t", 1, Some(0));
    for f in w.findings(2_000) {
        for t in [&f.evidence, &f.explanation, &f.fix] {
            assert!(!t.en.is_empty() && !t.zh.is_empty(), "{}", f.rule);
        }
    }
}

/// A real `Session` against a scripted broker, its events digested as the page does.
mod real {
    use super::super::*;
    use crate::framing::{encode, Framer};
    use crate::session::{Action, Session, SessionConfig, SocketId};
    use mqtt::control::ConnectReturnCode;
    use mqtt::packet::suback::SubscribeReturnCode;
    use mqtt::packet::*;

    struct Real {
        session: Session,
        history: DeviceHistory,
        now: Millis,
        sockets: Vec<SocketId>,
        sent: Vec<VariablePacket>,
    }

    impl Real {
        fn new(resubscribe: bool) -> Self {
            Real {
                session: Session::new(SessionConfig {
                    client_id: "real".into(),
                    clean_session: false,
                    keepalive_secs: 30,
                    resubscribe_on_connect: resubscribe,
                    ..Default::default()
                }),
                history: DeviceHistory::default(),
                now: 1_000,
                sockets: vec![],
                sent: vec![],
            }
        }
        fn drain(&mut self) {
            while let Some(a) = self.session.poll_action() {
                match a {
                    Action::Open { socket, url } => {
                        self.history.connecting_to(&url);
                        self.sockets.push(socket);
                    }
                    Action::Send { bytes, .. } => {
                        let mut f = Framer::default();
                        f.push(&bytes);
                        self.sent.push(f.next_frame().unwrap().unwrap().packet);
                    }
                    Action::Close { .. } => {}
                }
            }
            while let Some(e) = self.session.poll_event() {
                self.history.observe(&e);
            }
        }
        fn socket(&self) -> SocketId {
            *self.sockets.last().unwrap()
        }
        fn broker<P: mqtt::Encodable>(&mut self, p: P) {
            let bytes = encode(&p).unwrap();
            let socket = self.socket();
            self.session.handle_bytes(socket, &bytes, self.now);
            self.drain();
        }
        fn at(&mut self, now: Millis) -> &mut Self {
            self.now = now;
            self
        }
        fn connect(&mut self, session_present: bool) {
            self.session.connect(self.now).unwrap();
            self.drain();
            let socket = self.socket();
            self.session.handle_socket_open(socket, self.now);
            self.drain();
            self.broker(ConnackPacket::new(
                session_present,
                ConnectReturnCode::ConnectionAccepted,
            ));
        }
        fn suback_all(&mut self) {
            let ids: Vec<u16> = self
                .sent
                .drain(..)
                .filter_map(|p| match p {
                    VariablePacket::SubscribePacket(s) => Some(s.packet_identifier()),
                    _ => None,
                })
                .collect();
            for id in ids {
                self.broker(SubackPacket::new(
                    id,
                    vec![SubscribeReturnCode::MaximumQoSLevel1],
                ));
            }
        }
        fn push(&mut self, id: u16, payload: &[u8], dup: bool) {
            let mut p = PublishPacket::new(
                mqtt::TopicName::new("t").unwrap(),
                QoSWithPacketIdentifier::Level1(id),
                payload.to_vec(),
            );
            p.set_dup(dup);
            self.broker(p);
        }
        fn rules(&self) -> Vec<&'static str> {
            let settings = DeviceSettings {
                broker_url: "ws://127.0.0.1:9001/mqtt".into(),
                ..Default::default()
            };
            let facts = [DeviceFacts {
                device: 0,
                settings: &settings,
                history: &self.history,
            }];
            diagnose(self.now, &facts)
                .into_iter()
                .map(|f| f.rule)
                .collect()
        }
    }

    #[test]
    fn a_real_session_without_resubscribe_leaves_the_broker_holding_nothing() {
        let mut r = Real::new(false);
        r.connect(false);
        r.session.subscribe("t", 1, r.now).unwrap();
        r.drain();
        r.suback_all();
        assert_eq!(r.history.held_now().count(), 1);
        r.at(2_000).session.disconnect(2_000);
        r.drain();
        r.at(3_000).connect(false);
        assert_eq!(
            r.history.held_now().count(),
            0,
            "Session Present = 0 wiped it"
        );
        assert!(r.rules().contains(&"session-lost"));
    }

    #[test]
    fn a_real_takeover_after_silence_is_late_not_pending() {
        let mut r = Real::new(true);
        r.connect(false);
        r.session.subscribe("t", 1, r.now).unwrap();
        r.drain();
        r.suback_all();
        r.at(2_000).session.go_silent(2_000).unwrap();
        r.drain();
        r.at(3_000).push(7, b"m", false);
        assert!(r.rules().contains(&"ack-timeout-pending"));
        // Back on a new socket: Session Present = 1, mosquitto resends at once with DUP=1.
        r.at(5_000).connect(true);
        r.suback_all();
        r.push(7, b"m", true);
        let rules = r.rules();
        assert!(rules.contains(&"late-after-silence"), "{rules:?}");
        assert!(!rules.contains(&"ack-timeout-pending"), "{rules:?}");
    }
}
