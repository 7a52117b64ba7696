//! Reading back the `&'static str` names some records carry (packet field names, the ack a
//! timer awaits) when a recording is opened: serde's derive cannot produce a `'static`
//! borrow from a file, so names are interned. Design: the names the core itself writes are
//! known; anything else (a file from a newer page) is interned once, with a bound, so that a
//! hostile file cannot make the page leak memory name after name.
//!
//! Bytes (packets, payloads) are written as Base64 text: a third of the size of a list of
//! numbers, and far quicker to write while messages stream in.

use serde::{Deserialize, Deserializer};
use std::sync::Mutex;

/// Names the core writes today.
const KNOWN: &[&str] = &[
    "protocol",
    "clientId",
    "cleanSession",
    "keepAlive",
    "username",
    "password",
    "will",
    "sessionPresent",
    "returnCode",
    "topic",
    "qos",
    "dup",
    "retain",
    "payloadBytes",
    "filter",
    "granted",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
];

/// Other names interned at most this many times; beyond, a name reads as `field`.
const MAX_INTERNED: usize = 256;

static INTERNED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The `'static` spelling of `name`.
pub fn intern(name: &str) -> &'static str {
    if let Some(known) = KNOWN.iter().find(|k| **k == name) {
        return known;
    }
    let Ok(mut interned) = INTERNED.lock() else {
        return "field";
    };
    if let Some(found) = interned.iter().find(|k| **k == name) {
        return found;
    }
    if interned.len() >= MAX_INTERNED || name.len() > 64 {
        return "field";
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    interned.push(leaked);
    leaked
}

/// An ack timer row as a file holds it (`InflightRow` reads through this: serde's derive
/// would otherwise ask the file to outlive the program for its `&'static str`).
#[derive(Deserialize)]
struct InflightRowFile {
    outgoing: bool,
    packet_id: u16,
    kind: crate::session::InflightKind,
    topic: String,
    qos: u8,
    awaiting: String,
    started_at: crate::time::Millis,
    deadline: crate::time::Millis,
    remaining_ms: crate::time::Millis,
}

impl<'de> Deserialize<'de> for crate::session::InflightRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = InflightRowFile::deserialize(d)?;
        Ok(crate::session::InflightRow {
            outgoing: r.outgoing,
            packet_id: r.packet_id,
            kind: r.kind,
            topic: r.topic,
            qos: r.qos,
            awaiting: intern(&r.awaiting),
            started_at: r.started_at,
            deadline: r.deadline,
            remaining_ms: r.remaining_ms,
        })
    }
}

/// `deserialize_with` for `(name, value)` pairs.
pub fn fields<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(&'static str, String)>, D::Error> {
    let pairs = Vec::<(String, String)>::deserialize(d)?;
    Ok(pairs.into_iter().map(|(k, v)| (intern(&k), v)).collect())
}

/// `with` for bytes: Base64 text (a list of numbers is read too).
pub mod bytes {
    use base64::Engine;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    struct Bytes;

    impl<'de> Visitor<'de> for Bytes {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Base64 text or a list of byte values")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|e| E::custom(format!("bytes are not Base64: {e}")))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_any(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_come_back_and_others_are_bounded() {
        assert_eq!(intern("topic"), "topic");
        assert_eq!(intern("someNewField"), "someNewField");
        assert!(std::ptr::eq(intern("someNewField"), intern("someNewField")));
        assert_eq!(intern(&"x".repeat(100)), "field");
    }

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct B(#[serde(with = "super::bytes")] Vec<u8>);

    #[test]
    fn bytes_are_base64_and_lists_read_too() {
        let json = serde_json::to_string(&B(vec![0, 255, 16])).unwrap();
        assert_eq!(json, "\"AP8Q\"");
        assert_eq!(
            serde_json::from_str::<B>(&json).unwrap(),
            B(vec![0, 255, 16])
        );
        assert_eq!(
            serde_json::from_str::<B>("[0, 255, 16]").unwrap(),
            B(vec![0, 255, 16])
        );
        assert!(serde_json::from_str::<B>("\"%%%\"").is_err());
        assert!(serde_json::from_str::<B>("[256]").is_err());
    }
}
