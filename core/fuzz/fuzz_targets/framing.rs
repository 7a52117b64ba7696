//! Framing fuzz target: arbitrary bytes, split at arbitrary points, fed to a `Framer`.
//!
//! Input layout: byte 0 picks the packet-size limit, byte 1 the largest chunk, bytes 2..4
//! seed the chunk sizes; the rest is the byte stream as a broker would send it.
//!
//! Besides "never panics", it checks what framing promises:
//! - splitting the stream differently never changes the frames or the error (an error's
//!   quoted first bytes may be fewer when it is found before the packet is whole);
//! - the frames are the stream's bytes in order, with nothing skipped or invented;
//! - after an error the framer stays broken (yields nothing more);
//! - every frame can be described and encoded again.
#![no_main]

use ackscope_core::framing::{describe, dup_flag, encode, Framer, FramingError};
use libfuzzer_sys::fuzz_target;
use mqtt::packet::VariablePacket;

const LIMITS: [usize; 8] = [
    ackscope_core::framing::DEFAULT_MAX_PACKET_BYTES,
    0,
    2,
    127,
    128,
    16_383,
    16_384,
    2_097_152,
];

/// What a framer made of a stream: each frame's bytes, and the error if one came.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    frames: Vec<Vec<u8>>,
    error: Option<FramingError>,
}

fn drain(framer: &mut Framer, out: &mut Outcome) {
    if out.error.is_some() {
        assert!(
            matches!(framer.next_frame(), Ok(None)),
            "a broken framer must yield nothing"
        );
        return;
    }
    loop {
        match framer.next_frame() {
            Ok(Some(frame)) => {
                let summary = describe(&frame.packet, &frame.raw);
                let _ = summary.kind.as_str();
                let _ = dup_flag(&frame.raw);
                if let VariablePacket::PublishPacket(p) = &frame.packet {
                    let _ = ackscope_core::framing::qos_number(p.qos().split().0);
                }
                let _ = encode(&frame.packet);
                out.frames.push(frame.raw);
            }
            Ok(None) => return,
            Err(e) => {
                let _ = e.text();
                out.error = Some(e);
                assert!(framer.buffered() == 0, "a broken framer keeps no bytes");
                return;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let limit = LIMITS[usize::from(data[0]) % LIMITS.len()];
    let max_chunk = usize::from(data[1]) + 1;
    let mut rng = u32::from(u16::from_le_bytes([data[2], data[3]])) | 1 << 16;
    let stream = &data[4..];

    // The whole stream in one message.
    let mut whole = Framer::new(limit);
    let mut expected = Outcome {
        frames: vec![],
        error: None,
    };
    whole.push(stream);
    drain(&mut whole, &mut expected);

    // The same stream in chunks of 0..=max_chunk bytes (empty messages included).
    let mut split = Framer::new(limit);
    let mut got = Outcome {
        frames: vec![],
        error: None,
    };
    let mut rest = stream;
    while !rest.is_empty() {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        let n = (rng as usize % (max_chunk + 1)).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        split.push(chunk);
        drain(&mut split, &mut got);
        rest = tail;
    }
    drain(&mut split, &mut got);

    let consumed: Vec<u8> = got.frames.concat();
    assert!(
        stream.starts_with(&consumed),
        "frames must be the stream's bytes in order"
    );
    // A header refused early quotes the bytes there were at that moment: any prefix of the
    // rest of the stream is right, so only the reason has to match.
    for outcome in [&mut expected, &mut got] {
        let used: usize = outcome.frames.iter().map(Vec::len).sum();
        if let Some(FramingError::Malformed { head, .. }) = &mut outcome.error {
            assert!(head.len() <= 16 && stream[used.min(stream.len())..].starts_with(head));
            head.clear();
        }
    }
    assert_eq!(expected, got, "the split changed what framing produced");
    if got.error.is_none() {
        assert_eq!(
            consumed.len() + split.buffered(),
            stream.len(),
            "every byte is either framed or waiting"
        );
    }
});
