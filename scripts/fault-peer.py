#!/usr/bin/env python3
"""A scripted MQTT-over-WebSocket peer for faults mosquitto cannot make.

mosquitto 2.0.11 grants even a topic its ACL denies, so the SUBACK-failure test needs a
peer that answers 0x80. This one accepts a WebSocket (subprotocol mqtt), answers CONNECT
with CONNACK 0, every SUBSCRIBE with SUBACK 0x80 for each filter, PINGREQ with PINGRESP,
and closes on DISCONNECT. Standard library only.

    scripts/fault-peer.py PORT
"""
import base64
import hashlib
import socketserver
import struct
import sys

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_frame(f):
    """One WebSocket frame from the client (always masked); returns (opcode, payload)."""
    b1, b2 = read_exact(f, 2)
    opcode, length = b1 & 0x0F, b2 & 0x7F
    if length == 126:
        (length,) = struct.unpack(">H", read_exact(f, 2))
    elif length == 127:
        (length,) = struct.unpack(">Q", read_exact(f, 8))
    mask = read_exact(f, 4) if b2 & 0x80 else b"\0\0\0\0"
    data = bytearray(read_exact(f, length))
    for i in range(len(data)):
        data[i] ^= mask[i % 4]
    return opcode, bytes(data)


def frame(payload, opcode=0x2):
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack(">H", n)
    else:
        head += bytes([127]) + struct.pack(">Q", n)
    return head + payload


def mqtt_packets(buf):
    """Splits whole MQTT packets off the front of buf; returns (packets, rest)."""
    out = []
    while len(buf) >= 2:
        mult, length, i = 1, 0, 1
        while True:
            if i >= len(buf):
                return out, buf
            b = buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if len(buf) < i + length:
            break
        out.append((buf[0], buf[i:i + length]))
        buf = buf[i + length:]
    return out, buf


class Peer(socketserver.StreamRequestHandler):
    def handle(self):
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            request += chunk
        headers = {}
        for line in request.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        accept = base64.b64encode(hashlib.sha1((headers.get("sec-websocket-key", "") + GUID).encode()).digest()).decode()
        self.wfile.write((
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
        buf = b""
        try:
            while True:
                opcode, data = read_frame(self.rfile)
                if opcode == 0x8:
                    return
                buf += data
                packets, buf = mqtt_packets(buf)
                for first, body in packets:
                    kind = first >> 4
                    if kind == 1:  # CONNECT -> CONNACK 0
                        self.wfile.write(frame(bytes([0x20, 2, 0, 0])))
                    elif kind == 8:  # SUBSCRIBE -> SUBACK with 0x80 per filter
                        pid, rest, count = body[:2], body[2:], 0
                        while rest:
                            (n,) = struct.unpack(">H", rest[:2])
                            rest = rest[2 + n + 1:]
                            count += 1
                        self.wfile.write(frame(bytes([0x90, 2 + count]) + pid + b"\x80" * count))
                    elif kind == 12:  # PINGREQ
                        self.wfile.write(frame(bytes([0xD0, 0])))
                    elif kind == 14:  # DISCONNECT
                        return
                self.wfile.flush()
        except (EOFError, ConnectionError):
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    port = int(sys.argv[1])
    with Server(("127.0.0.1", port), Peer) as server:
        print(f"fault peer on ws://127.0.0.1:{port}/", flush=True)
        server.serve_forever()
