#!/usr/bin/env python3
"""A scripted hostile MQTT-over-WebSocket broker: the faults a real broker does not make.

The WebSocket path picks the misbehaviour, so one peer serves every case:

    ws://127.0.0.1:PORT/garbage         CONNACK 0, then a packet of reserved type 15
    ws://127.0.0.1:PORT/oversize        CONNACK 0, then a PUBLISH announcing 268 MB
    ws://127.0.0.1:PORT/second-connack  CONNACK 0, then another CONNACK
    ws://127.0.0.1:PORT/unknown-pubrel  CONNACK 0, then PUBREL for id 77 nobody sent
    ws://127.0.0.1:PORT/short-suback    CONNACK 0; each SUBSCRIBE gets a SUBACK with no codes
    ws://127.0.0.1:PORT/poison          CONNACK 1, then the same malformed QoS 1 PUBLISH (its
                                        topic is not UTF-8) on every connect, like a broker
                                        redelivering a message the client cannot take
    ws://127.0.0.1:PORT/flood           CONNACK 0; each SUBSCRIBE gets its SUBACK, then
                                        FLOOD_COUNT QoS 0 PUBLISHes, many per WebSocket frame
    ws://127.0.0.1:PORT/pid-reuse       CONNACK 0; each SUBSCRIBE gets its SUBACK, then a QoS 1
                                        PUBLISH with packet id 7 and, before any PUBACK, a new
                                        one (DUP=0) with the same id (what the packet-id-reuse
                                        rule names; mosquitto 2.0.11 did not do it here with
                                        66,000 queued messages and its default inflight 20)

Anything else behaves: CONNACK 0, SUBACK granting QoS 1, PINGRESP. Standard library only;
binds 127.0.0.1 only. Each connection's path and first packets are logged to stdout.

    scripts/hostile-broker.py PORT [FLOOD_COUNT]
"""
import socketserver
import struct
import sys

from wspeer import Server, accept_websocket, frame, mqtt_packets, read_frame

FLOOD_COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000


def remaining_length(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first, body):
    return bytes([first]) + remaining_length(len(body)) + body


def publish(topic, payload, qos=0, pid=1, dup=False):
    first = 0x30 | (qos << 1) | (0x08 if dup else 0)
    body = struct.pack(">H", len(topic)) + topic
    if qos:
        body += struct.pack(">H", pid)
    return packet(first, body + payload)


def filters_in(body):
    """The (packet id, number of filters) of a SUBSCRIBE body."""
    pid, rest, count = body[:2], body[2:], 0
    while rest:
        (n,) = struct.unpack(">H", rest[:2])
        rest = rest[2 + n + 1:]
        count += 1
    return pid, count


class Peer(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(frame(data))
        self.wfile.flush()

    def handle(self):
        path = accept_websocket(self)
        if path is None:
            return
        mode = path.strip("/").split("?")[0]
        print(f"connection mode={mode or 'well-behaved'}", flush=True)
        buf = b""
        try:
            while True:
                opcode, data = read_frame(self.rfile)
                if opcode == 0x8:
                    return
                buf += data
                packets, buf = mqtt_packets(buf)
                for first, body in packets:
                    if not self.answer(mode, first >> 4, body):
                        return
        except (EOFError, ConnectionError):
            return

    def answer(self, mode, kind, body):
        """Answers one client packet; returns False to end the connection."""
        if kind == 1:  # CONNECT
            self.send(bytes([0x20, 2, 1 if mode == "poison" else 0, 0]))
            if mode == "garbage":
                self.send(bytes([0xF0, 0x00]))
            elif mode == "oversize":
                # Fixed header only: 0xFF 0xFF 0xFF 0x7F announces 268,435,455 bytes.
                self.send(bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]))
            elif mode == "second-connack":
                self.send(bytes([0x20, 2, 0, 0]))
            elif mode == "unknown-pubrel":
                self.send(bytes([0x62, 2, 0, 77]))
            elif mode == "poison":
                self.send(publish(b"poison/\xff\xfe", b"cannot be read", qos=1, pid=9, dup=True))
        elif kind == 8:  # SUBSCRIBE
            pid, count = filters_in(body)
            if mode == "short-suback":
                self.send(bytes([0x90, 2]) + pid)
            else:
                self.send(bytes([0x90, 2 + count]) + pid + b"\x01" * count)
                if mode == "flood":
                    self.flood()
                elif mode == "pid-reuse":
                    self.send(publish(b"reuse/t", b"first", qos=1, pid=7))
                    self.send(publish(b"reuse/t", b"second", qos=1, pid=7))
        elif kind == 12:  # PINGREQ
            self.send(bytes([0xD0, 0]))
        elif kind == 14:  # DISCONNECT
            return False
        return True

    def flood(self):
        """FLOOD_COUNT QoS 0 messages, 500 packets per WebSocket frame."""
        batch = []
        for i in range(1, FLOOD_COUNT + 1):
            batch.append(publish(b"flood/t", b"flood %d" % i))
            if len(batch) == 500:
                self.send(b"".join(batch))
                batch = []
        if batch:
            self.send(b"".join(batch))
        self.send(publish(b"flood/t", b"flood done"))


if __name__ == "__main__":
    port = int(sys.argv[1])
    with Server(("127.0.0.1", port), Peer) as server:
        print(f"hostile broker on ws://127.0.0.1:{port}/<mode>", flush=True)
        server.serve_forever()
