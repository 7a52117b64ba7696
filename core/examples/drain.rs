//! Where the time of a drain goes in the core, per stage, as figures (no pass/fail): 50,000
//! queued QoS 1 PUBLISH packets arriving after a reconnect with Session Present = 1, one
//! WebSocket message each, driven as the page's `Device::pump` drives a session (actions,
//! events, `poll_timeout` after every input). Stages added one at a time:
//!
//! 1. the session alone (`handle_bytes`, actions and events drained);
//! 2. + `poll_timeout` after every input;
//! 3. + `DeviceHistory::observe` of every event;
//! 4. + every event as JSON (what the page's recorder keeps).
//!
//! Run: `cargo run --release -p ackscope-core --example drain` (`DRAIN_N` sets the count).

mod common;

use ackscope_core::diagnostics::DeviceHistory;
use ackscope_core::framing::encode;
use ackscope_core::session::{Event, Session, SocketId};
use common::START;
use mqtt::packet::{PublishPacket, QoSWithPacketIdentifier};
use mqtt::TopicName;
use std::hint::black_box;
use std::time::{Duration, Instant};

const RUNS: usize = 3;

fn publish_bytes(id: u16, i: usize) -> Vec<u8> {
    let topic = TopicName::new("bench/drain").expect("valid topic");
    let s = format!("ackscope-bench {i:09} ");
    let payload = format!("{s}{}", "x".repeat(64 - s.len())).into_bytes();
    encode(&PublishPacket::new(
        topic,
        QoSWithPacketIdentifier::Level1(id),
        payload,
    ))
    .expect("encodes")
}

/// A session that reconnected to a persistent session the broker kept (Session Present = 1).
fn resumed_session() -> (Session, SocketId) {
    let (mut session, socket) = common::session_after_connack("bench-drain", true);
    while session.poll_action().is_some() {}
    while session.poll_event().is_some() {}
    (session, socket)
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Stage {
    Session,
    Timeout,
    History,
    Json,
}

/// One drain; returns (events seen, JSON bytes).
fn run(packets: &[Vec<u8>], stage: Stage) -> (usize, usize) {
    let (mut session, socket) = resumed_session();
    let mut history = DeviceHistory::default();
    let (mut events, mut json) = (0, 0);
    for (i, packet) in packets.iter().enumerate() {
        let at = START + 1 + (i / 20) as u64;
        session.handle_bytes(socket, packet, at);
        while let Some(action) = session.poll_action() {
            black_box(action);
        }
        while let Some(event) = session.poll_event() {
            events += 1;
            if stage >= Stage::History {
                history.observe(&event);
            }
            if stage >= Stage::Json {
                json += serde_json::to_string(&event).map_or(0, |s| s.len());
            }
            black_box::<&Event>(&event);
        }
        if stage >= Stage::Timeout {
            black_box(session.poll_timeout());
        }
    }
    (events, json)
}

fn best_of(mut f: impl FnMut() -> (usize, usize)) -> (Duration, (usize, usize)) {
    let mut best = Duration::MAX;
    let mut out = (0, 0);
    for _ in 0..RUNS {
        let start = Instant::now();
        out = black_box(f());
        best = best.min(start.elapsed());
    }
    (best, out)
}

fn main() {
    if cfg!(debug_assertions) {
        println!("(debug build: run with --release for meaningful figures)");
    }
    let n: usize = std::env::var("DRAIN_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let packets: Vec<Vec<u8>> = (0..n)
        .map(|i| publish_bytes((i % 65_535 + 1) as u16, i))
        .collect();
    let mut previous = Duration::ZERO;
    for (label, stage) in [
        ("session (handle_bytes, outputs drained)", Stage::Session),
        ("+ poll_timeout per input", Stage::Timeout),
        ("+ DeviceHistory::observe per event", Stage::History),
        ("+ serde_json::to_string per event", Stage::Json),
    ] {
        let (t, (events, json)) = best_of(|| run(&packets, stage));
        println!(
            "{label:42} {n} messages, {events} events: {:8.1} ms = {:6.2} us/message (this stage {:+6.2} us){}",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e6 / n as f64,
            (t.as_secs_f64() - previous.as_secs_f64()) * 1e6 / n as f64,
            if json > 0 { format!(", {json} JSON bytes") } else { String::new() },
        );
        previous = t;
    }
}
