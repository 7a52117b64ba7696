//! Stories told from the events a real session emits, driven by a scripted broker.

use super::*;
use crate::framing::encode;
use crate::probe::Probe;
use crate::session::{Action, Session, SessionConfig, SocketId};
use crate::verdicts::{Certainty, Evidence, Verdict, VerdictKind};
use mqtt::control::ConnectReturnCode;
use mqtt::packet::*;

/// A receiving session, its stories, and the clock.
struct Rx {
    session: Session,
    stories: SeriesStories,
    socket: Option<SocketId>,
    now: Millis,
}

impl Rx {
    fn new() -> Self {
        Rx {
            session: Session::new(SessionConfig {
                client_id: "rx".into(),
                clean_session: false,
                keepalive_secs: 10,
                ..Default::default()
            }),
            stories: SeriesStories::default(),
            socket: None,
            now: 1_000,
        }
    }

    fn drain(&mut self) {
        while let Some(a) = self.session.poll_action() {
            if let Action::Open { socket, .. } = a {
                self.socket = Some(socket);
            }
        }
        while let Some(e) = self.session.poll_event() {
            self.stories.observe(&e);
        }
    }

    fn connect(&mut self, session_present: bool) {
        self.session.connect(self.now).expect("connect allowed");
        self.drain();
        let socket = self.socket.expect("a socket");
        self.session.handle_socket_open(socket, self.now);
        self.drain();
        self.broker_sends(ConnackPacket::new(
            session_present,
            ConnectReturnCode::ConnectionAccepted,
        ));
    }

    fn broker_sends<P: mqtt::Encodable>(&mut self, packet: P) {
        let socket = self.socket.expect("a socket");
        self.broker_sends_on(socket, packet);
    }

    fn broker_sends_on<P: mqtt::Encodable>(&mut self, socket: SocketId, packet: P) {
        let bytes = encode(&packet).expect("encodes");
        self.session.handle_bytes(socket, &bytes, self.now);
        self.drain();
    }

    fn probe(&mut self, seq: u32, sent_at: Millis, id: u16, dup: bool) -> PublishPacket {
        let payload = Probe {
            series: "s1".into(),
            seq,
            sent_at,
        }
        .encode("");
        let mut p = PublishPacket::new(
            mqtt::TopicName::new("t").expect("topic"),
            QoSWithPacketIdentifier::Level1(id),
            payload,
        );
        p.set_dup(dup);
        p
    }

    fn story(&self) -> SeriesStory {
        self.stories.story("s1").expect("a story of s1")
    }
}

#[test]
fn a_message_pushed_into_a_dead_connection_and_redelivered_is_one_message_delivered_twice() {
    let mut rx = Rx::new();
    rx.connect(false);
    let start = rx.now + 100;
    rx.now = start + 10;
    let p = rx.probe(1, start, 1, false);
    rx.broker_sends(p);
    rx.now += 500;
    rx.session.go_silent(rx.now).expect("connected");
    rx.drain();
    let dead = rx.socket.expect("the silent socket");
    // Probes 2 and 3 go into the dead connection: seen, never acked.
    for (seq, id) in [(2, 2), (3, 3)] {
        rx.now += 100;
        let p = rx.probe(seq, rx.now - 5, id, false);
        rx.broker_sends_on(dead, p);
    }
    rx.now += 3_000;
    rx.connect(true);
    // The resumed session brings them again with DUP=1, then probe 4 arrives.
    for (seq, id) in [(2, 2), (3, 3)] {
        let p = rx.probe(seq, start + 600 + 100 * u64::from(seq - 1) - 5, id, true);
        rx.broker_sends(p);
    }
    let p = rx.probe(4, rx.now - 20, 4, false);
    rx.broker_sends(p);

    let s = rx.story();
    assert_eq!(s.messages, 4, "four messages, not six");
    assert_eq!(s.copies, 6, "six copies arrived");
    assert_eq!(s.twice_via_dead, 2);
    assert_eq!(s.extra_copies, 0);
    assert_eq!(s.dead_only, 0);
    assert_eq!(s.verdicts.redelivered, 2, "{:?}", s.verdicts);
    let total: u64 = s.verdicts.nonzero().iter().map(|(_, n)| n).sum();
    assert_eq!(total, s.messages, "each message counted once by verdict");
    let (lo, hi) = s.latency.expect("latencies");
    assert_eq!(lo, 10, "probe 1 arrived 10 ms after it was sent");
    assert!(
        hi >= 3_000,
        "a redelivered copy counts with its real delay: {hi}"
    );
    assert_eq!(s.at_start, AtStart::Connected);
    assert_eq!(s.ids(), "start:connected silent reconnected-sp1");
    assert_eq!(
        s.label().en,
        "receiver went silent · reconnected, Session Present 1"
    );
    assert_eq!(s.label().zh, "接收端进入静默,已重连,Session Present 1");
    let copies = s.copies_text();
    assert_eq!(
        copies.en,
        "4 messages, 6 copies: 2 delivered twice (first pushed into a dead connection, then redelivered with DUP=1)"
    );
    assert!(copies.zh.starts_with("4 条消息,6 份副本:2 条投递了两次"));
}

#[test]
fn a_series_sent_while_the_receiver_was_away_says_how_it_went_and_came_back() {
    let mut rx = Rx::new();
    rx.connect(false);
    rx.now += 1_000;
    rx.session.disconnect(rx.now);
    rx.drain();
    let start = rx.now + 1_000;
    rx.now = start + 2_000;
    rx.connect(true);
    for seq in 1..=3u32 {
        let p = rx.probe(seq, start + 100 * u64::from(seq), seq as u16, false);
        rx.broker_sends(p);
    }
    let s = rx.story();
    assert_eq!(s.started_at, start + 100);
    assert_eq!(s.at_start, AtStart::Away(Happening::Disconnected));
    assert_eq!(
        s.label().en,
        "before it started: receiver disconnected · reconnected, Session Present 1"
    );
    assert_eq!(s.label().zh, "开始前:接收端已断开,已重连,Session Present 1");
    assert_eq!(s.verdicts.offline, 3);
    assert_eq!(s.latency, Some((1_700, 1_900)));
    assert_eq!(
        s.copies_text().en,
        "3 messages, 3 copies: each delivered once"
    );
}

#[test]
fn a_drop_during_the_series_is_named() {
    let mut rx = Rx::new();
    rx.connect(false);
    let start = rx.now + 1;
    rx.now += 10;
    let p = rx.probe(1, start, 1, false);
    rx.broker_sends(p);
    rx.now += 100;
    rx.session.drop_connection(rx.now);
    rx.drain();
    rx.now += 1_000;
    rx.connect(false);
    let p = rx.probe(2, start + 50, 2, false);
    rx.broker_sends(p);
    let s = rx.story();
    assert_eq!(s.ids(), "start:connected dropped reconnected-sp0");
    assert!(s.label().en.starts_with("receiver dropped · "));
}

fn copy(seq: u32, sent_at: Millis, at: Millis, kind: VerdictKind, dead: bool) -> Event {
    Event::Message(IncomingMessage {
        at,
        socket: SocketId(1),
        topic: "t".into(),
        payload: Vec::new(),
        qos: 1,
        dup: false,
        retain: false,
        packet_id: Some(1),
        probe: Some(("s1".into(), seq, sent_at)),
        verdict: Verdict {
            kind,
            certainty: Certainty::Certain,
            evidence: Evidence::NoReplaySign,
        },
        into_dead_connection: dead,
    })
}

#[test]
fn duplicates_and_copies_still_in_a_dead_connection_are_told_apart() {
    let mut t = SeriesStories::default();
    t.observe(&Event::Connected {
        at: 5,
        session_present: false,
        clean_session: true,
        client_id: "rx".into(),
    });
    t.observe(&copy(1, 10, 20, VerdictKind::Live, false));
    t.observe(&copy(1, 10, 30, VerdictKind::Duplicate, false));
    t.observe(&copy(2, 15, 40, VerdictKind::Live, true));
    let s = t.story("s1").expect("a story");
    assert_eq!(
        (s.messages, s.copies, s.extra_copies, s.dead_only),
        (1, 3, 1, 1)
    );
    assert_eq!(s.verdicts.live, 1);
    assert_eq!(
        s.verdicts.duplicate, 0,
        "the second copy is a copy, not a message"
    );
    assert_eq!(s.latency, Some((10, 10)));
    assert_eq!(s.label().en, "receiver stayed connected");
    assert_eq!(
        s.copies_text().en,
        "1 message, 3 copies: 1 extra copy on live connections; 1 only pushed into a dead connection (never acked, not back yet)"
    );
    assert_eq!(t.story("other"), None);
}

#[test]
fn hostile_numbers_and_many_series_stay_bounded_and_never_panic() {
    let mut t = SeriesStories::default();
    t.observe(&copy(u32::MAX, u64::MAX, 0, VerdictKind::Live, false));
    t.observe(&copy(0, 0, u64::MAX, VerdictKind::Offline, false));
    let s = t.story("s1").expect("a story");
    assert_eq!(s.messages, 2);
    assert_eq!(s.at_start, AtStart::NotConnected);
    let (lo, hi) = s.latency.expect("latencies");
    assert!(lo < 0 && hi > 0);
    for i in 0..(MAX_SERIES + 10) {
        let mut e = copy(1, 1, 2, VerdictKind::Live, false);
        if let Event::Message(m) = &mut e {
            m.probe = Some((format!("x{i}"), 1, 1));
        }
        t.observe(&e);
    }
    assert!(t.series.len() <= MAX_SERIES);
    for i in 0..(MAX_HAPPENINGS as u64 + 5) {
        t.observe(&Event::Connected {
            at: i,
            session_present: true,
            clean_session: false,
            client_id: "rx".into(),
        });
    }
    assert_eq!(t.happenings.len(), MAX_HAPPENINGS);
}

#[test]
fn only_the_live_connection_closing_is_a_happening() {
    use crate::framing::{PacketKind, PacketSummary};
    use crate::session::{CloseReason, Direction, PacketRecord};
    let mut t = SeriesStories::default();
    t.observe(&Event::Packet(PacketRecord {
        at: 5,
        direction: Direction::In,
        socket: SocketId(2),
        summary: PacketSummary {
            kind: PacketKind::Connack,
            packet_id: None,
            fields: Vec::new(),
        },
        raw: Vec::new(),
    }));
    t.observe(&Event::Connected {
        at: 5,
        session_present: true,
        clean_session: false,
        client_id: "rx".into(),
    });
    // A protocol failure on the old dead socket closes that one, not the live connection.
    for (socket, reason) in [(1, CloseReason::SocketClosed), (2, CloseReason::UserDrop)] {
        t.observe(&Event::Closed {
            at: 30,
            socket: SocketId(socket),
            reason,
        });
    }
    t.observe(&copy(1, 10, 40, VerdictKind::Live, false));
    let s = t.story("s1").expect("a story");
    assert_eq!(s.ids(), "start:connected dropped");
}

#[test]
fn a_series_sent_before_the_first_connect_says_connected_not_reconnected() {
    let mut t = SeriesStories::default();
    t.observe(&Event::Connected {
        at: 50,
        session_present: false,
        clean_session: false,
        client_id: "rx".into(),
    });
    t.observe(&copy(1, 10, 60, VerdictKind::Offline, false));
    let s = t.story("s1").expect("a story");
    assert_eq!(s.ids(), "start:not-connected connected-sp0");
    assert_eq!(
        s.label().en,
        "receiver not connected when it started · connected, Session Present 0"
    );
    assert_eq!(s.label().zh, "开始时接收端未连接,已连接,Session Present 0");
}
