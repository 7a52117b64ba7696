//! Recordings, natively: core sessions driven against a tiny in-memory broker, their events
//! folded into the page's view exactly as edge/device.rs does, then exported, read back and
//! replayed. The replay must show what the live page showed: rows and findings.

use super::journey::{build, offer, publish_parts, Lane, PublishParts, SeriesSeen, Target};
use super::*;
use crate::i18n::Lang;
use ackscope_core::auth::AuthMode;
use ackscope_core::framing::{describe, Framer, PacketKind};
use ackscope_core::probe::ProbePlan;
use ackscope_core::session::{Action, Session, SocketId};
use ackscope_core::topic::matches;

/// A broker good enough for the seed flow: persistent sessions, QoS 1 queueing, takeover.
#[derive(Default)]
struct Broker {
    /// client id -> session.
    sessions: Vec<BrokerSession>,
    /// (device, socket) -> client id, once CONNECT was read.
    conns: Vec<((usize, SocketId), String)>,
    framers: Vec<((usize, SocketId), Framer)>,
    /// Bytes for the clients: (device, socket, bytes).
    out: Vec<(usize, SocketId, Vec<u8>)>,
    /// Sockets the broker closed.
    closed: Vec<(usize, SocketId)>,
}

struct BrokerSession {
    client_id: String,
    clean: bool,
    subs: Vec<(String, u8)>,
    queue: Vec<(String, Vec<u8>, u8)>,
    online: Option<(usize, SocketId)>,
    next_id: u16,
}

fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn publish_bytes(topic: &str, payload: &[u8], qos: u8, id: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    body.extend_from_slice(topic.as_bytes());
    if qos > 0 {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let mut out = vec![0x30 | (qos << 1)];
    remaining_length(body.len(), &mut out);
    out.extend(body);
    out
}

impl Broker {
    fn session(&mut self, client_id: &str) -> Option<&mut BrokerSession> {
        self.sessions.iter_mut().find(|s| s.client_id == client_id)
    }

    fn deliver(&mut self, client_id: &str, topic: &str, payload: &[u8], qos: u8) {
        let Some(s) = self.session(client_id) else {
            return;
        };
        match s.online {
            Some((dev, sock)) => {
                s.next_id = s.next_id.wrapping_add(1).max(1);
                let id = s.next_id;
                self.out
                    .push((dev, sock, publish_bytes(topic, payload, qos, id)));
            }
            None if qos > 0 && !s.clean => s.queue.push((topic.to_string(), payload.to_vec(), qos)),
            None => {}
        }
    }

    fn went_away(&mut self, key: (usize, SocketId)) {
        let Some(pos) = self.conns.iter().position(|(k, _)| *k == key) else {
            return;
        };
        let (_, client_id) = self.conns.remove(pos);
        if let Some(s) = self.session(&client_id) {
            if s.online == Some(key) {
                s.online = None;
                if s.clean {
                    self.sessions.retain(|s| s.client_id != client_id);
                }
            }
        }
    }

    fn receive(&mut self, dev: usize, sock: SocketId, bytes: &[u8]) {
        let key = (dev, sock);
        if !self.framers.iter().any(|(k, _)| *k == key) {
            self.framers.push((key, Framer::default()));
        }
        let framer = &mut self.framers.iter_mut().find(|(k, _)| *k == key).unwrap().1;
        framer.push(bytes);
        let mut frames = Vec::new();
        while let Ok(Some(f)) = framer.next_frame() {
            frames.push(f);
        }
        for frame in frames {
            let summary = describe(&frame.packet, &frame.raw);
            let field = |name: &str| {
                summary
                    .fields
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            match summary.kind {
                PacketKind::Connect => {
                    let client_id = field("clientId");
                    let clean = field("cleanSession") == "1";
                    if clean {
                        self.sessions.retain(|s| s.client_id != client_id);
                    }
                    let present = self.session(&client_id).is_some();
                    if !present {
                        self.sessions.push(BrokerSession {
                            client_id: client_id.clone(),
                            clean,
                            subs: vec![],
                            queue: vec![],
                            online: None,
                            next_id: 0,
                        });
                    }
                    let s = self.session(&client_id).unwrap();
                    s.clean = clean;
                    if let Some(old) = s.online.replace(key) {
                        self.closed.push(old);
                        self.conns.retain(|(k, _)| *k != old);
                    }
                    self.conns.push((key, client_id.clone()));
                    self.out
                        .push((dev, sock, vec![0x20, 0x02, u8::from(present), 0]));
                    let queue = std::mem::take(&mut self.session(&client_id).unwrap().queue);
                    for (topic, payload, qos) in queue {
                        self.deliver(&client_id, &topic, &payload, qos);
                    }
                }
                PacketKind::Subscribe => {
                    let Some((_, client_id)) = self.conns.iter().find(|(k, _)| *k == key).cloned()
                    else {
                        continue;
                    };
                    let mut codes = Vec::new();
                    for (_, v) in summary.fields.iter().filter(|(k, _)| *k == "filter") {
                        let (filter, qos) = v.rsplit_once(" (QoS ").unwrap();
                        let qos: u8 = qos.trim_end_matches(')').parse().unwrap();
                        let s = self.session(&client_id).unwrap();
                        s.subs.retain(|(f, _)| f != filter);
                        s.subs.push((filter.to_string(), qos));
                        codes.push(qos);
                    }
                    let id = summary.packet_id.unwrap();
                    let mut p = vec![0x90, 2 + codes.len() as u8];
                    p.extend_from_slice(&id.to_be_bytes());
                    p.extend(codes);
                    self.out.push((dev, sock, p));
                }
                PacketKind::Publish => {
                    let PublishParts {
                        topic,
                        qos,
                        packet_id: id,
                        payload,
                        ..
                    } = publish_parts(&frame.raw).unwrap();
                    if let Some(id) = id {
                        let mut p = vec![0x40, 0x02];
                        p.extend_from_slice(&id.to_be_bytes());
                        self.out.push((dev, sock, p));
                    }
                    let targets: Vec<(String, u8)> = self
                        .sessions
                        .iter()
                        .filter_map(|s| {
                            s.subs
                                .iter()
                                .find(|(f, _)| matches(f, &topic))
                                .map(|(_, g)| (s.client_id.clone(), (*g).min(qos)))
                        })
                        .collect();
                    for (client_id, q) in targets {
                        self.deliver(&client_id, &topic, payload, q);
                    }
                }
                PacketKind::Pingreq => self.out.push((dev, sock, vec![0xd0, 0x00])),
                PacketKind::Disconnect => self.went_away(key),
                _ => {}
            }
        }
    }
}

/// A device of the simulated page: what edge/device.rs holds.
struct Dev {
    id: u32,
    form: DeviceForm,
    session: Session,
    log: DeviceLog,
    history: DeviceHistory,
}

struct World {
    now: Millis,
    broker: Broker,
    devices: Vec<Dev>,
    recorder: Recorder,
}

impl World {
    fn new() -> Self {
        World {
            now: 1_700_000_000_000,
            broker: Broker::default(),
            devices: Vec::new(),
            recorder: Recorder::default(),
        }
    }

    fn add(&mut self, client_id: &str, clean: bool) -> usize {
        let index = self.devices.len();
        let mut form = DeviceForm::new(index, "ws://broker.test:9001/mqtt");
        form.auth.client_id = client_id.into();
        form.clean_session = clean;
        self.devices.push(Dev {
            id: 40 + index as u32,
            form,
            session: Session::new(Default::default()),
            log: DeviceLog::default(),
            history: DeviceHistory::default(),
        });
        index
    }

    /// Drains every session and the broker until nothing moves (the edge's `pump`).
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            for (i, d) in self.devices.iter_mut().enumerate() {
                while let Some(a) = d.session.poll_action() {
                    moved = true;
                    match a {
                        Action::Open { socket, .. } => {
                            d.session.handle_socket_open(socket, self.now)
                        }
                        Action::Send { socket, bytes } => self.broker.receive(i, socket, &bytes),
                        Action::Close { socket } => self.broker.went_away((i, socket)),
                    }
                }
                while let Some(event) = d.session.poll_event() {
                    moved = true;
                    d.history.observe(&event);
                    self.recorder.record(d.id, &event);
                    d.log.apply(event);
                }
            }
            for (dev, sock, bytes) in std::mem::take(&mut self.broker.out) {
                moved = true;
                self.devices[dev]
                    .session
                    .handle_bytes(sock, &bytes, self.now);
            }
            for (dev, sock) in std::mem::take(&mut self.broker.closed) {
                moved = true;
                self.devices[dev]
                    .session
                    .handle_socket_closed(sock, self.now);
            }
            if !moved {
                break;
            }
        }
    }

    fn advance(&mut self, ms: Millis) {
        let end = self.now + ms;
        loop {
            let next = self
                .devices
                .iter()
                .filter_map(|d| d.session.poll_timeout())
                .filter(|t| *t <= end)
                .min();
            let Some(t) = next else { break };
            self.now = t.max(self.now);
            for d in &mut self.devices {
                if d.session.poll_timeout().is_some_and(|x| x <= self.now) {
                    d.session.handle_timeout(self.now);
                }
            }
            self.pump();
        }
        self.now = end;
    }

    fn connect(&mut self, i: usize) {
        let config = self.devices[i]
            .form
            .session_config(7)
            .expect("a valid form");
        self.devices[i]
            .session
            .connect_with(config, self.now)
            .expect("connects");
        self.pump();
        self.advance(5);
    }

    fn views(&self) -> Vec<SessionView> {
        self.devices
            .iter()
            .map(|d| d.session.view(self.now))
            .collect()
    }

    fn live_findings(&self) -> Vec<Finding> {
        let views = self.views();
        let inputs: Vec<(DeviceSettings, &DeviceHistory)> = self
            .devices
            .iter()
            .zip(&views)
            .map(|(d, v)| (settings_of(&d.form, v), &d.history))
            .collect();
        findings_of(self.now, &inputs)
    }

    fn export(&self, findings: &[Finding]) -> String {
        let views = self.views();
        let live: Vec<LiveDevice<'_>> = self
            .devices
            .iter()
            .zip(&views)
            .map(|(d, v)| LiveDevice {
                id: d.id,
                form: &d.form,
                session: v,
                broker_check: None,
            })
            .collect();
        export_text(&live, findings, &self.recorder, self.now)
    }
}

const SECRET: &str = "hunter2-not-a-signature";

/// The seed flow: a persistent receiver subscribes and drops; the sender publishes a probe
/// series at QoS 1 (and is set up badly in two ways, for findings); the receiver returns.
fn seed() -> World {
    let mut w = World::new();
    let rx = w.add("seed-rx", false);
    let tx = w.add("seed-tx", true);
    {
        let f = &mut w.devices[tx].form;
        // A typed password where the username asks for an Alibaba signature: `auth-shape`.
        f.auth.mode = AuthMode::Password;
        f.auth.username = "Signature|LTAI5tExampleKeyId|post-cn-example".into();
        f.auth.password = SECRET.into();
    }
    w.connect(rx);
    w.devices[rx]
        .session
        .subscribe("seed/probe", 1, w.now)
        .unwrap();
    w.pump();
    w.advance(20);
    w.devices[rx].session.drop_connection(w.now);
    w.pump();
    w.advance(100);
    w.connect(tx);
    // A subscription on a clean session: `clean-session`.
    w.devices[tx]
        .session
        .subscribe("seed/echo", 1, w.now)
        .unwrap();
    w.pump();
    let plan = ProbePlan::parse("3", "50").unwrap();
    w.devices[tx]
        .session
        .start_probe_series("seed/probe", 1, plan, 99, w.now)
        .unwrap();
    w.pump();
    w.advance(400);
    w.connect(rx);
    w.advance(200);
    w
}

fn rows(
    log: &DeviceLog,
) -> (
    Vec<MessageRowFacts>,
    Vec<crate::view::PacketRow>,
    Vec<crate::view::Notice>,
) {
    (
        log.messages.iter().map(MessageRowFacts::of).collect(),
        log.packets.iter().cloned().collect(),
        log.timeline.iter().cloned().collect(),
    )
}

/// A message row's facts (rows hold `Rc`s: compared by value).
#[derive(Debug, PartialEq)]
struct MessageRowFacts(String, Vec<u8>, String, bool, Option<u32>, Option<i64>);

impl MessageRowFacts {
    fn of(r: &crate::view::MessageRow) -> Self {
        MessageRowFacts(
            r.topic.to_string(),
            r.payload.to_vec(),
            r.verdict.as_str().into(),
            r.certain,
            r.probe_seq,
            r.latency_ms,
        )
    }
}

#[test]
fn the_seed_flow_delivers_the_probes_offline() {
    let w = seed();
    let verdicts: Vec<_> = w.devices[0]
        .log
        .messages
        .iter()
        .map(|m| (m.verdict.as_str(), m.probe_seq))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("offline", Some(1)),
            ("offline", Some(2)),
            ("offline", Some(3))
        ]
    );
    assert_eq!(w.devices[0].session.view(w.now).session_present, Some(true));
}

#[test]
fn a_replayed_recording_shows_the_same_rows_and_findings_as_live() {
    let w = seed();
    let live = w.live_findings();
    let rules: Vec<&str> = live.iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&"auth-shape"),
        "the seed makes an auth-shape finding: {rules:?}"
    );
    assert!(
        rules.contains(&"clean-session"),
        "and a clean-session one: {rules:?}"
    );

    let text = w.export(&live);
    assert!(!text.contains(SECRET), "no password in a recording");
    let opened = open(parse(&text).expect("the export reads back"));
    assert_eq!(
        opened.findings, live,
        "recomputed findings equal the live ones"
    );
    assert!(opened.findings_match);
    assert_eq!(opened.devices.len(), 2);
    for (live, replayed) in w.devices.iter().zip(&opened.devices) {
        assert_eq!(
            rows(&replayed.log),
            rows(&live.log),
            "the same rows for {}",
            live.form.auth.client_id
        );
        assert_eq!(replayed.history.connects, live.history.connects);
        assert_eq!(replayed.form.auth.client_id, live.form.auth.client_id);
        assert_eq!(replayed.form.clean_session, live.form.clean_session);
        assert!(replayed.form.auth.password.is_empty());
        assert!(
            !replayed.session.running_clocks,
            "a recording's clocks stand still"
        );
        assert_eq!(
            replayed.session.taken_at, opened.recording.created_at,
            "its views read the recorded moment, not the page clock"
        );
        assert_eq!(
            replayed.session.probe_summaries,
            live.session.view(w.now).probe_summaries
        );
    }
}

#[test]
fn the_auth_shape_finding_is_the_recorded_one_since_secrets_are_not_recorded() {
    let w = seed();
    let live = w.live_findings();
    let mut rec = parse(&w.export(&live)).unwrap();
    // Without the recorded findings, the rule that reads secrets has nothing to say.
    rec.findings.clear();
    let opened = open(rec);
    assert!(!opened.findings.iter().any(|f| f.rule == "auth-shape"));
    assert!(
        !opened.findings_match,
        "and the page says the findings differ"
    );
}

#[test]
fn a_recording_round_trips() {
    let w = seed();
    let live = w.live_findings();
    let rec = parse(&w.export(&live)).unwrap();
    assert_eq!(rec.format, FORMAT);
    assert_eq!(rec.created_at, w.now);
    assert!(rec.started_at.is_some_and(|s| s < w.now));
    let again = serde_json::to_string(&rec).unwrap();
    assert_eq!(parse(&again).unwrap(), rec);
    // Every event of every device, in order.
    assert_eq!(
        rec.devices[0].events.len() + rec.devices[1].events.len(),
        w.recorder.counts().0
    );
    assert!(rec.devices[0].events.iter().any(|e| matches!(
        e,
        Event::Connected {
            session_present: true,
            ..
        }
    )));
    // The CONNECT as sent, its password masked.
    assert!(rec.devices[1]
        .events
        .iter()
        .any(|e| matches!(e, Event::Packet(p) if p.summary.kind == PacketKind::Connect)));
}

#[test]
fn malformed_files_get_clear_messages() {
    let w = seed();
    let text = w.export(&w.live_findings());
    assert_eq!(parse(""), Err(OpenError::Empty));
    assert!(matches!(parse("hello"), Err(OpenError::NotJson(_))));
    assert_eq!(parse("[1, 2]"), Err(OpenError::NotARecording));
    assert_eq!(parse("{\"devices\": []}"), Err(OpenError::NotARecording));
    assert_eq!(
        parse("{\"format\": \"ackscope-profiles/1\", \"devices\": []}"),
        Err(OpenError::NotARecording)
    );
    assert_eq!(parse("{\"format\": 7}"), Err(OpenError::NotARecording));
    assert_eq!(
        parse("{\"format\": \"ackscope-recording/2\"}"),
        Err(OpenError::Newer("ackscope-recording/2".into()))
    );
    assert!(matches!(
        parse(&text[..text.len() / 2]),
        Err(OpenError::Damaged(_))
    ));
    let broken = text.replacen("\"Connected\"", "\"Conected\"", 1);
    assert!(matches!(parse(&broken), Err(OpenError::Damaged(_))));
    // Cut anywhere: an error, never a panic.
    for cut in (0..text.len()).step_by(97) {
        if text.is_char_boundary(cut) {
            assert!(parse(&text[..cut]).is_err());
        }
    }
    // Every message reads in both languages.
    for e in [
        OpenError::Empty,
        OpenError::NotARecording,
        OpenError::Newer("x".into()),
        OpenError::TooLarge { bytes: 3e8 },
    ] {
        let t = e.text();
        assert!(!t.en.is_empty() && !t.zh.is_empty());
    }
    // A minimal file from an older page (fields added later are optional) opens.
    let minimal = format!(
        "{{\"format\": \"{FORMAT}\", \"createdAt\": 5, \"devices\": [{{\"settings\": {{}}}}]}}"
    );
    let opened = open(parse(&minimal).unwrap());
    assert_eq!(opened.devices.len(), 1);
}

#[test]
fn sizes_are_bounded() {
    assert!(size_problem(MAX_FILE_BYTES + 1.0).is_some());
    assert!(size_problem(10.0 * 1024.0 * 1024.0).is_none());
    let r = Recorder::with_limit(2_000);
    let e = Event::NetworkDown { at: 1 };
    for _ in 0..200 {
        r.record(3, &e);
    }
    let (kept, evicted) = r.counts();
    assert!(kept > 0 && kept < 200, "kept {kept}");
    assert_eq!(
        kept as u64 + evicted,
        200,
        "the oldest are counted as they go"
    );
    assert_eq!(r.evicted(3), evicted);
    assert_eq!(r.first_kept(), evicted + 1);
    assert_eq!(r.lines_from(0, 5).len(), 5);
    assert_eq!(r.lines_from(r.next_seq(), 5).len(), 0);
    r.forget(3);
    assert_eq!(r.counts(), (0, 0));
}

#[test]
fn credentials_in_a_broker_url_are_not_recorded() {
    assert_eq!(
        without_userinfo("ws://u:p@host:9001/mqtt"),
        "ws://host:9001/mqtt"
    );
    assert_eq!(without_userinfo("wss://host/mqtt"), "wss://host/mqtt");
    assert_eq!(date_time(0), "1970-01-01 00:00:00");
    assert_eq!(date_time(1_700_000_000_000), "2023-11-14 22:13:20");
    assert_eq!(file_stem(1_700_000_000_000), "ackscope-2023-11-14-22-13-20");
}

#[test]
fn the_journey_of_an_offline_probe() {
    let w = seed();
    let rec = parse(&w.export(&w.live_findings())).unwrap();
    let events: Vec<Vec<Event>> = rec.devices.iter().map(|d| d.events.clone()).collect();
    let series = rec.devices[0].session.as_ref().unwrap().probe_summaries[0]
        .0
        .clone();
    let offered = offer(
        &[SeriesSeen {
            series: series.clone(),
            highest: 3,
        }],
        &[
            (0, "t".into(), b"x".to_vec()),
            (1, "t".into(), b"x".to_vec()),
        ],
    );
    assert_eq!(offered[0].value, format!("series:{series}"));
    assert!(offered
        .iter()
        .any(|c| c.target == Target::Probe(series.clone(), 2)));
    assert_eq!(
        offered.len(),
        5,
        "the series, its three probes, one plain message (the same one twice)"
    );

    let j = build(&events, &Target::Probe(series.clone(), 1)).expect("a journey");
    let steps: Vec<(String, &str)> = j.steps.iter().map(|s| (s.lane.attr(), s.kind)).collect();
    assert_eq!(
        steps,
        vec![
            ("0".into(), "away"),
            ("1".into(), "PUBLISH"),
            ("broker".into(), "held"),
            ("1".into(), "PUBACK"),
            ("0".into(), "CONNACK"),
            ("0".into(), "PUBLISH"),
            ("0".into(), "PUBACK"),
        ]
    );
    assert_eq!(
        j.lanes,
        vec![Lane::Device(1), Lane::Broker, Lane::Device(0)]
    );
    let held = &j.steps[2];
    assert_eq!(held.until, Some(j.steps[4].at), "held until the CONNACK");
    assert!(held.until.unwrap() > held.at);
    assert!(j.steps[4].text.en.contains("Session Present = 1"));
    assert!(j.steps[5].text.en.contains("offline"));
    assert!(j.steps[1..].iter().all(|s| s.since_prev.is_some()));

    // The whole series: one hold, one CONNACK, three deliveries and their acks.
    let all = build(&events, &Target::Series(series)).unwrap();
    let count = |kind: &str, lane: &str| {
        all.steps
            .iter()
            .filter(|s| s.kind == kind && s.lane.attr() == lane)
            .count()
    };
    assert_eq!(
        (
            count("held", "broker"),
            count("CONNACK", "0"),
            count("PUBLISH", "0"),
            count("PUBACK", "0")
        ),
        (1, 1, 3, 3)
    );
    assert_eq!((count("PUBLISH", "1"), count("PUBACK", "1")), (3, 3));
    assert_eq!(
        all.steps.iter().find(|s| s.kind == "held").unwrap().at,
        all.steps.iter().find(|s| s.kind == "PUBLISH").unwrap().at
    );
}

#[test]
fn publish_parts_reads_a_publish_and_refuses_the_rest() {
    let bytes = publish_bytes("a/b", b"hi", 1, 7);
    assert_eq!(
        publish_parts(&bytes),
        Some(PublishParts {
            topic: "a/b".into(),
            qos: 1,
            dup: false,
            packet_id: Some(7),
            payload: &b"hi"[..]
        })
    );
    assert_eq!(publish_parts(&[0x20, 0x02, 0, 0]), None);
    assert_eq!(publish_parts(&bytes[..4]), None);
    assert_eq!(publish_parts(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
}

#[test]
fn the_report_holds_settings_timeline_findings_and_series_without_secrets() {
    let w = seed();
    let live = w.live_findings();
    let rec = parse(&w.export(&live)).unwrap();
    let opened = open(rec.clone());
    let md = crate::view::report::markdown(Lang::En, &rec, &opened.findings);
    for needle in [
        "# ackscope report",
        "seed-rx",
        "seed-tx",
        "ws://broker.test:9001/mqtt",
        "Session Present=1",
        "auth-shape",
        "clean-session",
        "Probe series",
        "Fix: ",
    ] {
        assert!(md.contains(needle), "the report holds {needle}:\n{md}");
    }
    let series = &rec.devices[0].session.as_ref().unwrap().probe_summaries[0].0;
    assert!(
        md.contains(&format!("| {series} | 3 | 3 | 0 | 0 | 0 |")),
        "{md}"
    );
    assert!(!md.contains(SECRET));
    assert!(
        md.lines().count() < 80,
        "short enough to paste: {} lines",
        md.lines().count()
    );
    let zh = crate::view::report::markdown(Lang::ZhCn, &rec, &opened.findings);
    assert!(zh.contains("诊断发现"));
    let html = crate::view::report::html(Lang::En, &rec, &opened.findings);
    assert!(
        html.starts_with("<!doctype html>")
            && html.contains("auth-shape")
            && !html.contains("<script")
    );
    assert!(
        html.contains("Signature|LTAI5tExampleKeyId|post-cn-example"),
        "the username is not a secret"
    );
    assert!(!html.contains(SECRET));
}

#[test]
fn the_browser_store_puts_the_same_recording_back_together() {
    let w = seed();
    let live = w.live_findings();
    let views = w.views();
    let devices: Vec<LiveDevice<'_>> = w
        .devices
        .iter()
        .zip(&views)
        .map(|(d, v)| LiveDevice {
            id: d.id,
            form: &d.form,
            session: v,
            broker_check: None,
        })
        .collect();
    let meta = serde_json::to_string(&stored_meta(&devices, &live, &w.recorder, w.now)).unwrap();
    assert!(!meta.contains(SECRET));
    let lines: Vec<(u32, String)> = w
        .recorder
        .lines_from(0, usize::MAX)
        .into_iter()
        .map(|l| (l.device, l.json))
        .collect();
    let restored = assemble(&meta, lines.clone()).unwrap();
    assert_eq!(restored, parse(&w.export(&live)).unwrap());
    // A line of a device no longer on the page is skipped; a broken line is an error.
    let mut extra = lines.clone();
    extra.push((999, "{}".into()));
    assert!(assemble(&meta, extra).is_ok());
    let mut broken = lines;
    broken.push((40, "{\"Nope\":1}".into()));
    assert!(matches!(
        assemble(&meta, broken),
        Err(OpenError::Damaged(_))
    ));
    assert!(matches!(assemble("{", vec![]), Err(OpenError::Damaged(_))));
}

#[test]
fn messages_alike_in_their_first_32_characters_are_two_offers() {
    // The select finds a pick by its value: two offers with one value would follow the
    // wrong message (and repeat a key of the list).
    let head = "{\"temperature\": 21.5, \"humidity\": ";
    let offered = offer(
        &[],
        &[
            (0, "t".into(), format!("{head}40}}").into_bytes()),
            (0, "t".into(), format!("{head}41}}").into_bytes()),
        ],
    );
    assert_eq!(offered.len(), 2);
    assert_ne!(offered[0].value, offered[1].value);
    let again = offer(&[], &[(0, "t".into(), format!("{head}41}}").into_bytes())]);
    assert_eq!(again[0].value, offered[1].value, "the same on every render");
}
