use super::*;
use mqtt::packet::{PingrespPacket, PubackPacket, PublishPacket, QoSWithPacketIdentifier};
use mqtt::TopicName;
use proptest::prelude::*;

fn publish_bytes(topic: &str, id: u16, payload: &[u8]) -> Vec<u8> {
    let packet = PublishPacket::new(
        TopicName::new(topic).expect("valid topic"),
        QoSWithPacketIdentifier::Level1(id),
        payload.to_vec(),
    );
    encode(&packet).expect("encodes")
}

fn stream() -> Vec<u8> {
    let mut bytes = publish_bytes("a/b", 1, b"hello");
    bytes.extend(encode(&PubackPacket::new(7)).expect("encodes"));
    bytes.extend(publish_bytes("c", 2, &[0u8; 300]));
    bytes.extend(encode(&PingrespPacket::new()).expect("encodes"));
    bytes
}

fn kinds_after_feeding(chunks: &[&[u8]]) -> Vec<PacketKind> {
    let mut framer = Framer::default();
    let mut kinds = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame().expect("valid stream") {
            kinds.push(describe(&frame.packet, &frame.raw).kind);
        }
    }
    kinds
}

#[test]
fn several_packets_in_one_message_all_come_out() {
    let bytes = stream();
    assert_eq!(
        kinds_after_feeding(&[&bytes]),
        vec![
            PacketKind::Publish,
            PacketKind::Puback,
            PacketKind::Publish,
            PacketKind::Pingresp
        ]
    );
}

#[test]
fn a_packet_split_byte_by_byte_comes_out_once_complete() {
    let bytes = publish_bytes("a/b", 1, b"hello");
    let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
    let mut framer = Framer::default();
    for (i, chunk) in chunks.iter().enumerate() {
        framer.push(chunk);
        let frame = framer.next_frame().expect("valid");
        assert_eq!(frame.is_some(), i == chunks.len() - 1);
    }
}

#[test]
fn the_raw_bytes_of_each_frame_are_kept() {
    let bytes = publish_bytes("a/b", 1, b"hello");
    let mut framer = Framer::default();
    framer.push(&bytes);
    let frame = framer.next_frame().expect("valid").expect("complete");
    assert_eq!(frame.raw, bytes);
    assert_eq!(framer.buffered(), 0);
}

#[test]
fn a_huge_announced_length_is_refused_before_any_payload_arrives() {
    let mut framer = Framer::new(1024);
    // PUBLISH announcing 268,435,455 bytes, of which none follow.
    framer.push(&[0x30, 0xff, 0xff, 0xff, 0x7f]);
    assert_eq!(
        framer.next_frame().unwrap_err(),
        FramingError::TooLarge {
            announced: 268_435_455,
            limit: 1024
        }
    );
}

#[test]
fn a_five_byte_remaining_length_is_malformed() {
    let mut framer = Framer::default();
    framer.push(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert_eq!(
        framer.next_frame().unwrap_err(),
        FramingError::MalformedLength
    );
}

#[test]
fn a_publish_with_both_qos_bits_set_is_malformed() {
    let mut bytes = publish_bytes("a", 1, b"x");
    bytes[0] |= 0b0110;
    let mut framer = Framer::default();
    framer.push(&bytes);
    assert!(matches!(
        framer.next_frame(),
        Err(FramingError::Malformed { .. })
    ));
}

#[test]
fn a_reserved_packet_type_is_malformed_and_the_framer_stays_broken() {
    let mut framer = Framer::default();
    framer.push(&[0xf0, 0x00]);
    assert!(framer.next_frame().is_err());
    framer.push(&encode(&PingrespPacket::new()).expect("encodes"));
    assert!(matches!(framer.next_frame(), Ok(None)));
}

#[test]
fn error_messages_exist_in_both_languages() {
    let e = FramingError::TooLarge {
        announced: 10,
        limit: 5,
    };
    assert!(e.text().en.contains("10"));
    assert!(e.text().zh.contains("10"));
}

proptest! {
    #[test]
    fn any_split_of_a_valid_stream_yields_the_same_packets(cuts in proptest::collection::vec(0usize..400, 0..12)) {
        let bytes = stream();
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c % bytes.len()).collect();
        points.sort_unstable();
        points.dedup();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(&bytes[start..p]);
            start = p;
        }
        chunks.push(&bytes[start..]);
        prop_assert_eq!(kinds_after_feeding(&chunks), kinds_after_feeding(&[&bytes]));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut framer = Framer::new(4096);
        framer.push(&bytes);
        while let Ok(Some(_)) = framer.next_frame() {}
    }
}

#[test]
fn one_message_holding_many_packets_is_read_in_linear_time() {
    // 8 MB of small packets in one WebSocket message: reading each packet must not move
    // the rest of the buffer (it took seconds before).
    let one = publish_bytes("t", 1, &[7u8; 16]);
    let count = 8 * 1024 * 1024 / one.len();
    let bytes: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * count)
        .collect();
    let mut framer = Framer::default();
    framer.push(&bytes);
    let mut n = 0;
    while let Some(frame) = framer.next_frame().expect("valid") {
        assert_eq!(frame.raw, one);
        n += 1;
    }
    assert_eq!(n, count);
    assert_eq!(framer.buffered(), 0);
}
