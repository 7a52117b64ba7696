#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into seeds/<target>/ (run from anywhere).

The layouts are described at the top of fuzz_targets/framing.rs and session.rs.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def s(text):
    b = text.encode()
    return bytes([len(b) >> 8, len(b) & 0xFF]) + b


def rl(n):
    out = bytearray()
    while True:
        d, n = n % 128, n // 128
        out.append(d | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pkt(first, body):
    return bytes([first]) + rl(len(body)) + body


PROBE = b"ackscope-probe/1 s1 5 1700000000000"
PACKETS = {
    "connack": pkt(0x20, b"\x00\x00"),
    "connack_sp": pkt(0x20, b"\x01\x00"),
    "connack_refused": pkt(0x20, b"\x00\x05"),
    "publish0": pkt(0x30, s("a/b") + b"hi"),
    "publish1": pkt(0x32, s("a/b") + b"\x00\x01" + b"hi"),
    "publish2_dup_retain": pkt(0x3D, s("a/b") + b"\x00\x02" + b"hi"),
    "publish_probe": pkt(0x32, s("t") + b"\x00\x03" + PROBE),
    "publish_big": pkt(0x30, s("a") + bytes(300)),
    "puback": pkt(0x40, b"\x00\x01"),
    "pubrec": pkt(0x50, b"\x00\x01"),
    "pubrel": pkt(0x62, b"\x00\x01"),
    "pubcomp": pkt(0x70, b"\x00\x01"),
    "suback": pkt(0x90, b"\x00\x01\x01\x80"),
    "unsuback": pkt(0xB0, b"\x00\x01"),
    "pingresp": pkt(0xD0, b""),
    "subscribe": pkt(0x82, b"\x00\x01" + s("a/#") + b"\x01"),
    "connect": pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("dev")),
}
MALFORMED = {
    "long_length": b"\x30\xff\xff\xff\xff\x7f",
    "reserved_type": b"\x00\x00",
    "reserved_15": b"\xf0\x00",
    "bad_flags": b"\x31\x00",
    "short_publish": b"\x32\x03\x00\x01a",
}


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# framing: [limit pick, max chunk - 1, seed lo, seed hi] + stream
everything = b"".join(PACKETS.values())
for name, p in PACKETS.items():
    write("framing", name, b"\x00\x07\x01\x00" + p)
for name, p in MALFORMED.items():
    write("framing", name, b"\x00\x03\x05\x00" + PACKETS["publish1"] + p)
write("framing", "all_1byte", b"\x00\x00\x01\x00" + everything)
write("framing", "all_chunks", b"\x00\x40\x09\x07" + everything)
write("framing", "small_limit", b"\x03\x05\x02\x00" + everything)

# session: [config a, config b] + ops; opcodes as in session.rs (op % 24).
RAW, PACKET, ANSWER, ADVANCE, TO_TIMEOUT = 0, 3, 6, 8, 9
SUB, UNSUB, PUB, SILENT, ACK, MANUAL, CONNECT, END, OPEN, CLOSED = 11, 12, 13, 15, 16, 17, 18, 19, 20, 21


def raw(data):
    """Raw broker bytes, in messages of at most 64 bytes (the target's limit)."""
    return b"".join(bytes([RAW, len(data[i : i + 64])]) + data[i : i + 64] for i in range(0, len(data), 64))


def adv(ms):
    return bytes([ADVANCE, ms & 0xFF, ms >> 8])


write("session", "publish_q1_acked", b"\x10\x05" + bytes([PUB, 0, 1, 2]) + b"hi" + bytes([ANSWER, 0]) + adv(10000))
write("session", "publish_q2_acked", b"\x10\x05" + bytes([PUB, 1, 2, 1]) + b"x" + bytes([ANSWER, 3]) + bytes([ANSWER, 3]))
write(
    "session",
    "subscribe_then_messages",
    b"\x14\x05"
    + bytes([SUB, 1, 1, ANSWER, 0])
    + bytes([PACKET, 1, 1, 250, 0x10, 0, 1, 4, 0, 5, 0])
    + raw(PACKETS["publish_probe"])
    + raw(PACKETS["publish2_dup_retain"])
    + raw(PACKETS["pubrel"]),
)
write(
    "session",
    "silent_then_takeover",
    b"\x16\x09"
    + bytes([PUB, 0, 1, 1]) + b"a"
    + bytes([SILENT])
    + raw(PACKETS["publish1"])
    + bytes([CONNECT, OPEN, 0, ANSWER, 1])
    + bytes([CLOSED, 1])
    + raw(PACKETS["publish1"])
    + bytes([TO_TIMEOUT, TO_TIMEOUT]),
)
write(
    "session",
    "manual_ack",
    b"\x31\x05" + raw(PACKETS["publish1"]) + raw(PACKETS["publish2_dup_retain"]) + bytes([ACK, 0, ACK, 1, MANUAL, 0]),
)
write(
    "session",
    "keepalive_and_reconnect",
    b"\x10\x41" + adv(1000) + bytes([ANSWER, 0]) + adv(1000) + adv(200) + bytes([TO_TIMEOUT, OPEN, 0, ANSWER, 0, END, 1]),
)
write("session", "refused", b"\x10\x05" + bytes([CONNECT, END, 0, CONNECT, OPEN, 0]) + raw(PACKETS["connack_refused"]))
write("session", "garbage", b"\x90\x05" + raw(MALFORMED["long_length"]) + bytes([TO_TIMEOUT, OPEN, 0]) + raw(PACKETS["publish_big"]))
for name, p in PACKETS.items():
    write("session", "raw_" + name, b"\x10\x05" + raw(p))
