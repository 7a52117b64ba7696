//! The JSON line of a recorded event: exactly what `serde_json::to_string` writes for it,
//! made faster for the two events every message brings (its PUBLISH and the message).
//!
//! Why: the recorder turns every event into JSON as it happens. Under a flood that was the
//! largest cost per message in the page's own code: about 8.5 us of 37 in a 10,000-message
//! drain, and 15 % of the main thread with 8 devices at 2,000 msg/s each (CDP profiles of
//! tests/bench). serde's derive goes through a map of fields, writes Base64 into a string of
//! its own and scans it for escapes. Here names are written as they are, Base64 goes straight
//! into the line, and only text from the broker is escaped.
//!
//! The format stays serde's (one home: the derives on `Event`): every other event, and the
//! parts of these two that are not hot (the verdict), go through serde_json, and the tests
//! compare every byte with serde_json's for events of all shapes.

use ackscope_core::framing::PacketSummary;
use ackscope_core::session::{Direction, Event, IncomingMessage, PacketRecord};
use base64::Engine;

/// The event's JSON, as `serde_json::to_string(event)` makes it; `None` where that fails.
pub fn event_json(event: &Event) -> Option<String> {
    let mut out = Vec::with_capacity(256);
    match event {
        Event::Packet(r) => packet(&mut out, r)?,
        Event::Message(m) => message(&mut out, m)?,
        other => return serde_json::to_string(other).ok(),
    }
    // Only `str`s, ASCII, and serde_json's own output went in.
    String::from_utf8(out).ok()
}

fn packet(out: &mut Vec<u8>, r: &PacketRecord) -> Option<()> {
    out.extend_from_slice(b"{\"Packet\":{\"at\":");
    number(out, r.at);
    out.extend_from_slice(match r.direction {
        Direction::In => b",\"direction\":\"In\",\"socket\":",
        Direction::Out => b",\"direction\":\"Out\",\"socket\":",
    });
    number(out, u64::from(r.socket.0));
    out.extend_from_slice(b",\"summary\":");
    summary(out, &r.summary)?;
    out.extend_from_slice(b",\"raw\":");
    base64(out, &r.raw);
    out.extend_from_slice(b"}}");
    Some(())
}

fn summary(out: &mut Vec<u8>, s: &PacketSummary) -> Option<()> {
    out.extend_from_slice(b"{\"kind\":");
    serde_json::to_writer(&mut *out, &s.kind).ok()?;
    out.extend_from_slice(b",\"packet_id\":");
    optional(out, s.packet_id.map(u64::from));
    out.extend_from_slice(b",\"fields\":[");
    for (i, (name, value)) in s.fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        string(out, name);
        out.push(b',');
        string(out, value);
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
    Some(())
}

fn message(out: &mut Vec<u8>, m: &IncomingMessage) -> Option<()> {
    out.extend_from_slice(b"{\"Message\":{\"at\":");
    number(out, m.at);
    out.extend_from_slice(b",\"socket\":");
    number(out, u64::from(m.socket.0));
    out.extend_from_slice(b",\"topic\":");
    string(out, &m.topic);
    out.extend_from_slice(b",\"payload\":");
    base64(out, &m.payload);
    out.extend_from_slice(b",\"qos\":");
    number(out, u64::from(m.qos));
    out.extend_from_slice(b",\"dup\":");
    boolean(out, m.dup);
    out.extend_from_slice(b",\"retain\":");
    boolean(out, m.retain);
    out.extend_from_slice(b",\"packet_id\":");
    optional(out, m.packet_id.map(u64::from));
    out.extend_from_slice(b",\"probe\":");
    match &m.probe {
        Some((series, seq, sent_at)) => {
            out.push(b'[');
            string(out, series);
            out.push(b',');
            number(out, u64::from(*seq));
            out.push(b',');
            number(out, *sent_at);
            out.push(b']');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"verdict\":");
    serde_json::to_writer(&mut *out, &m.verdict).ok()?;
    out.extend_from_slice(b",\"into_dead_connection\":");
    boolean(out, m.into_dead_connection);
    out.extend_from_slice(b"}}");
    Some(())
}

fn number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn optional(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => number(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Base64 (standard, padded) as a JSON string: its alphabet needs no escapes.
fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    out.push(b'"');
    out.resize(start + 1 + len, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start + 1..])
        .unwrap_or(0);
    out.truncate(start + 1 + written);
    out.push(b'"');
}

/// A JSON string escaped as serde_json escapes it: `"`, `\` and control characters below
/// U+0020 (the short forms where JSON has them, else `\u00XX` in lowercase hex); nothing else.
fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        plain = i + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::framing::PacketKind;
    use ackscope_core::session::SocketId;
    use ackscope_core::verdicts::{Certainty, Evidence, Verdict, VerdictKind};

    /// A small deterministic generator: the same cases on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn bytes(&mut self, most: u64) -> Vec<u8> {
            (0..self.below(most + 1))
                .map(|_| self.next() as u8)
                .collect()
        }
        /// Text with the characters that need care: quotes, backslashes, every control
        /// character, DEL, and characters of 2, 3 and 4 bytes in UTF-8.
        fn text(&mut self, most: u64) -> String {
            const ODD: &[char] = &['"', '\\', '/', '\u{7f}', 'é', '中', '😀', ' ', 'a', 'Z'];
            (0..self.below(most + 1))
                .map(|_| match self.below(3) {
                    0 => char::from(self.below(0x20) as u8),
                    1 => ODD[self.below(ODD.len() as u64) as usize],
                    _ => char::from(b'!' + self.below(94) as u8),
                })
                .collect()
        }
        fn number(&mut self) -> u64 {
            match self.below(4) {
                0 => 0,
                1 => u64::MAX,
                2 => self.below(10),
                _ => self.next() << self.below(31),
            }
        }
    }

    fn evidence(g: &mut Lcg) -> Evidence {
        match g.below(4) {
            0 => Evidence::ProbeSeenBefore {
                series: g.text(8),
                seq: g.next() as u32,
            },
            1 => Evidence::DupFlag,
            2 => Evidence::SentWhileAway {
                sent_at: g.number(),
                away_since: g.number(),
            },
            _ => Evidence::ReplayBurst {
                after_connack_ms: g.number(),
            },
        }
    }

    fn packet_event(g: &mut Lcg) -> Event {
        const KINDS: &[PacketKind] =
            &[PacketKind::Connect, PacketKind::Publish, PacketKind::Puback];
        const NAMES: &[&str] = &["topic", "qos", "payloadBytes", "clientId"];
        Event::Packet(PacketRecord {
            at: g.number(),
            direction: if g.below(2) == 0 {
                Direction::In
            } else {
                Direction::Out
            },
            socket: SocketId(g.next() as u32),
            summary: PacketSummary {
                kind: KINDS[g.below(KINDS.len() as u64) as usize],
                packet_id: (g.below(2) == 0).then(|| g.next() as u16),
                fields: (0..g.below(6))
                    .map(|_| (NAMES[g.below(NAMES.len() as u64) as usize], g.text(12)))
                    .collect(),
            },
            raw: g.bytes(300),
        })
    }

    fn message_event(g: &mut Lcg) -> Event {
        Event::Message(IncomingMessage {
            at: g.number(),
            socket: SocketId(g.next() as u32),
            topic: g.text(20),
            payload: g.bytes(200),
            qos: g.below(3) as u8,
            dup: g.below(2) == 0,
            retain: g.below(2) == 0,
            packet_id: (g.below(2) == 0).then(|| g.next() as u16),
            probe: (g.below(2) == 0).then(|| (g.text(6), g.next() as u32, g.number())),
            verdict: Verdict {
                kind: if g.below(2) == 0 {
                    VerdictKind::Live
                } else {
                    VerdictKind::Offline
                },
                certainty: if g.below(2) == 0 {
                    Certainty::Certain
                } else {
                    Certainty::Inferred
                },
                evidence: evidence(g),
            },
            into_dead_connection: g.below(2) == 0,
        })
    }

    #[test]
    fn packets_and_messages_are_written_byte_for_byte_as_serde_json_writes_them() {
        let mut g = Lcg(7);
        for _ in 0..2_000 {
            for event in [packet_event(&mut g), message_event(&mut g)] {
                assert_eq!(
                    event_json(&event),
                    serde_json::to_string(&event).ok(),
                    "{event:?}"
                );
            }
        }
    }

    #[test]
    fn every_character_below_u0080_is_escaped_as_serde_json_escapes_it() {
        let all: String = (0u8..0x80).map(char::from).collect();
        let mut out = Vec::new();
        string(&mut out, &all);
        assert_eq!(
            String::from_utf8(out).ok(),
            serde_json::to_string(&all).ok()
        );
    }

    #[test]
    fn other_events_are_serde_json_s_own() {
        let event = Event::Unsubscribed {
            at: 5,
            filter: "a/\"b\"".into(),
        };
        assert_eq!(event_json(&event), serde_json::to_string(&event).ok());
    }

    #[test]
    fn a_written_line_reads_back_as_the_same_event() {
        let mut g = Lcg(11);
        for _ in 0..200 {
            for event in [packet_event(&mut g), message_event(&mut g)] {
                let json = event_json(&event).unwrap_or_default();
                let back: Event =
                    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
                // Field names read back interned; the rest compares equal.
                assert_eq!(back, event);
            }
        }
    }
}
