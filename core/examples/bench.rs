//! Throughput of ackscope-core's hot paths, as figures (no pass/fail):
//!
//! - framing: a 10 MB stream of QoS 1 PUBLISH packets (64 B and 4 KB payloads, three small
//!   to one large) fed to a `Framer` in 1 KB chunks, and the same stream in 1 MB messages;
//! - session receive: 100,000 incoming QoS 1 PUBLISH packets through `handle_bytes`, one
//!   WebSocket message each, every one acked, draining `poll_action` and `poll_event`;
//! - the same with probe payloads (verdicts from probe headers, gap/duplicate tracking);
//! - session publish: 100,000 outgoing QoS 1 messages, each PUBACK fed back.
//!
//! Run: `cargo run --release -p ackscope-core --example bench` (or `make bench`). The
//! workspace's release profile is the one the page ships with (`opt-level = "z"`). Each
//! figure is the best of a few runs, to keep noise from other processes out.

mod common;

use ackscope_core::framing::{encode, Framer};
use ackscope_core::probe::Probe;
use ackscope_core::session::{Action, Session, SocketId};
use common::START;
use mqtt::packet::{PubackPacket, PublishPacket, QoSWithPacketIdentifier};
use mqtt::TopicName;
use std::hint::black_box;
use std::time::{Duration, Instant};

const STREAM_BYTES: usize = 10 * 1024 * 1024;
const MESSAGES: usize = 100_000;
const RUNS: usize = 5;

fn publish_bytes(id: u16, payload: Vec<u8>) -> Vec<u8> {
    let topic = TopicName::new("bench/device/1/up").expect("valid topic");
    let packet = PublishPacket::new(topic, QoSWithPacketIdentifier::Level1(id), payload);
    encode(&packet).expect("encodes")
}

/// Packet ids 1..=65535, wrapping.
fn packet_id(i: usize) -> u16 {
    (i % 65_535 + 1) as u16
}

/// The fastest of `RUNS` runs of `f`, and what the last run returned.
fn best_of<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        out = Some(black_box(value));
    }
    (best, out.expect("RUNS > 0"))
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn per_sec(count: usize, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64()
}

/// Feeds `stream` in messages of `chunk` bytes; returns the number of packets framed.
fn frame_stream(stream: &[u8], chunk: usize) -> usize {
    let mut framer = Framer::default();
    let mut packets = 0;
    for message in stream.chunks(chunk) {
        framer.push(message);
        while let Some(frame) = framer.next_frame().expect("valid stream") {
            black_box(&frame);
            packets += 1;
        }
    }
    packets
}

fn framing() {
    let small = vec![0x5a; 64];
    let large = vec![0xa5; 4096];
    let mut stream = Vec::with_capacity(STREAM_BYTES + 8192);
    let mut i = 0;
    while stream.len() < STREAM_BYTES {
        let payload = if i % 4 == 3 { &large } else { &small };
        stream.extend_from_slice(&publish_bytes(packet_id(i), payload.clone()));
        i += 1;
    }
    for (label, chunk) in [("1 KB chunks", 1024), ("1 MB chunks", 1024 * 1024)] {
        let (t, packets) = best_of(|| frame_stream(&stream, chunk));
        assert_eq!(packets, i, "every packet framed");
        println!(
            "framing ({label}): {:.1} MB in {:.3} s = {:.1} MB/s, {:.0} packets/s",
            mb(stream.len()),
            t.as_secs_f64(),
            mb(stream.len()) / t.as_secs_f64(),
            per_sec(packets, t),
        );
    }
}

/// A session connected to a pretend broker, and the socket it uses.
fn connected_session() -> (Session, SocketId) {
    let (mut session, socket) = common::session_after_connack("bench", false);
    drain(&mut session);
    (session, socket)
}

/// Drains the outputs as a driver does; returns the bytes the session sent.
fn drain(session: &mut Session) -> usize {
    let mut sent = 0;
    while let Some(action) = session.poll_action() {
        if let Action::Send { bytes, .. } = &action {
            sent += bytes.len();
        }
        black_box(action);
    }
    while let Some(event) = session.poll_event() {
        black_box(event);
    }
    sent
}

/// Delivers each packet as one WebSocket message; returns the bytes of acks sent back.
fn receive(packets: &[Vec<u8>]) -> usize {
    let (mut session, socket) = connected_session();
    let mut acked = 0;
    for (i, packet) in packets.iter().enumerate() {
        session.handle_bytes(socket, packet, START + 1 + i as u64);
        acked += drain(&mut session);
    }
    acked
}

fn session_receive() {
    let plain: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|i| publish_bytes(packet_id(i), vec![0x5a; 64]))
        .collect();
    let probes: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|i| {
            let probe = Probe {
                series: "s1a2b3c".into(),
                seq: i as u32 + 1,
                sent_at: START + i as u64,
            };
            publish_bytes(packet_id(i), probe.encode(""))
        })
        .collect();
    for (label, packets) in [("", &plain), (" (probes)", &probes)] {
        let (t, acked) = best_of(|| receive(packets));
        assert_eq!(acked, MESSAGES * 4, "one 4-byte PUBACK per message");
        println!(
            "session receive{label}: {MESSAGES} QoS 1 messages in {:.3} s = {:.0} messages/s",
            t.as_secs_f64(),
            per_sec(MESSAGES, t),
        );
    }
}

/// Publishes `MESSAGES` QoS 1 messages, feeding each PUBACK back; returns how many were sent.
fn publish_all(payload: &[u8]) -> usize {
    let (mut session, socket) = connected_session();
    let mut sent = 0;
    for i in 0..MESSAGES {
        let now = START + 1 + i as u64;
        let id = session
            .publish("bench/device/1/down", payload.to_vec(), 1, false, now)
            .expect("connected")
            .expect("QoS 1 has an id");
        sent += usize::from(drain(&mut session) > 0);
        let puback = encode(&PubackPacket::new(id)).expect("encodes");
        session.handle_bytes(socket, &puback, now);
        drain(&mut session);
    }
    sent
}

fn session_publish() {
    let payload = vec![0x5a; 64];
    let (t, sent) = best_of(|| publish_all(&payload));
    assert_eq!(sent, MESSAGES, "every message went out at once");
    println!(
        "session publish: {MESSAGES} QoS 1 messages with PUBACK in {:.3} s = {:.0} messages/s",
        t.as_secs_f64(),
        per_sec(MESSAGES, t),
    );
}

fn main() {
    if cfg!(debug_assertions) {
        println!("(debug build: run with --release for meaningful figures)");
    }
    framing();
    session_receive();
    session_publish();
}
