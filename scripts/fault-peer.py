#!/usr/bin/env python3
"""A scripted MQTT-over-WebSocket peer for faults mosquitto cannot make.

mosquitto 2.0.11 grants even a topic its ACL denies, so the SUBACK-failure test needs a
peer that answers 0x80. This one accepts a WebSocket (subprotocol mqtt), answers CONNECT
with CONNACK 0, every SUBSCRIBE with SUBACK 0x80 for each filter, PINGREQ with PINGRESP,
and closes on DISCONNECT. Standard library only.

    scripts/fault-peer.py PORT
"""
import socketserver
import struct
import sys

from wspeer import Server, accept_websocket, frame, mqtt_packets, read_frame


class Peer(socketserver.StreamRequestHandler):
    def handle(self):
        if accept_websocket(self) is None:
            return
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


if __name__ == "__main__":
    port = int(sys.argv[1])
    with Server(("127.0.0.1", port), Peer) as server:
        print(f"fault peer on ws://127.0.0.1:{port}/", flush=True)
        server.serve_forever()
