"""MQTT over WebSocket for the project's scripted test peers: the handshake, frames and
packet splitting that scripts/fault-peer.py and scripts/hostile-broker.py share.
Standard library only."""
import base64
import hashlib
import socketserver
import struct

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


def accept_websocket(handler):
    """Reads the HTTP upgrade request on a StreamRequestHandler and accepts it with the
    `mqtt` subprotocol; returns the request path, or None if the client went away."""
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = handler.request.recv(4096)
        if not chunk:
            return None
        request += chunk
    lines = request.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    accept = base64.b64encode(hashlib.sha1((headers.get("sec-websocket-key", "") + GUID).encode()).digest()).decode()
    handler.wfile.write((
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
    return parts[1] if len(parts) > 1 else "/"


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
