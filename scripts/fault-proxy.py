#!/usr/bin/env python3
"""A TCP fault proxy between the page and a broker's WebSocket listener. Standard library only.

It forwards bytes between clients and one upstream (mosquitto's WebSocket port) until told to
break the network, through a control port. Both ports bind 127.0.0.1 only.

    scripts/fault-proxy.py --upstream WS_PORT [--listen PORT] [--control PORT]

A port of 0 (the default) picks a free one. Once both ports listen, one JSON line goes to
stdout: {"listen": PORT, "control": PORT, "upstream": PORT}. Point the device at
ws://127.0.0.1:LISTEN/mqtt. Stop the proxy with SIGTERM or SIGINT; it also stops when the
process that started it ends.

Commands, either as HTTP (`curl -s 127.0.0.1:CONTROL/cut`, `/blackhole/on`, `/latency/200`)
or as one line over TCP (`echo 'blackhole on' | nc 127.0.0.1 CONTROL`); each answers one JSON
object:
    cut [rst|fin]     close every connection at once, both sides, no WebSocket close frame:
                      with a TCP RST (default) or a plain FIN.
    cut-mid [publish|off]  arm (or disarm): the next broker->client chunk (with `publish`: the
                      next one holding a whole WebSocket frame that carries an MQTT PUBLISH) is
                      forwarded only up to the middle of that frame, nothing more goes up, and
                      that connection is closed on both sides (plain close, after the partial
                      bytes). What was cut (topic, packet id, QoS, DUP, payload of the PUBLISH)
                      shows in `stats` as `cut_mid`.
    blackhole on|off  on: the sockets stay open and every byte already flowing is dropped, both
                      ways; a side that closes meanwhile is not told to the other side. New
                      connections are accepted but held (no upstream, bytes kept), as a real
                      network retries a SYN. off: connections that lost bytes or a side are cut
                      (RST: their streams cannot continue); held ones connect and go on.
    refuse on|off     new connections are closed at once (RST) and counted.
    latency MS        delay every chunk by MS milliseconds, both ways, order kept.
    stats             counters: accepted, refused, open, cuts, accept_times (epoch ms), ...
    reset             clears the counters (not the modes).
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import struct
import sys
import time

EOF = object()


def now_ms():
    return int(time.time() * 1000)


def rst(writer):
    """Closes a stream with a TCP RST (SO_LINGER 0), dropping what is unsent."""
    if writer is None:
        return
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


def fin(writer):
    if writer is not None:
        writer.close()


class FrameTracker:
    """Follows WebSocket frame boundaries in the broker->client stream (after the HTTP
    upgrade answer), so that a cut can land in the middle of a chosen frame."""

    def __init__(self):
        self.http = b""
        self.in_http = True
        self.head = b""  # a frame header split across chunks
        self.skip = 0  # bytes of the current frame's payload still to come

    def frames(self, chunk):
        """Frames that start in `chunk`: (start, header_len, payload_len, opcode)."""
        out = []
        i = 0
        if self.in_http:
            self.http += chunk
            end = self.http.find(b"\r\n\r\n")
            if end < 0:
                return out
            i = len(chunk) - (len(self.http) - (end + 4))
            self.in_http = False
            self.http = b""
        n = len(chunk)
        while i < n:
            if self.skip:
                step = min(self.skip, n - i)
                self.skip -= step
                i += step
                continue
            start = i - len(self.head)
            need = 2
            buf = self.head + chunk[i:i + 14]
            if len(buf) >= 2:
                size = buf[1] & 0x7F
                need = 2 + (2 if size == 126 else 8 if size == 127 else 0) + (4 if buf[1] & 0x80 else 0)
            if len(buf) < need:
                self.head = buf
                return out
            size = buf[1] & 0x7F
            if size == 126:
                size = struct.unpack(">H", buf[2:4])[0]
            elif size == 127:
                size = struct.unpack(">Q", buf[2:10])[0]
            consumed = need - len(self.head)
            self.head = b""
            out.append((start, need, size, buf[0] & 0x0F))
            i += consumed
            self.skip = size
        return out


def describe_publish(packet):
    """An MQTT PUBLISH packet -> its facts, or None when it is not one (or not whole)."""
    if not packet or packet[0] >> 4 != 3:
        return None
    first = packet[0]
    qos = (first >> 1) & 3
    mult, length, i = 1, 0, 1
    while i < len(packet):
        b = packet[i]
        length += (b & 0x7F) * mult
        mult *= 128
        i += 1
        if not b & 0x80:
            break
    body = packet[i:i + length]
    if len(body) < 2:
        return None
    tlen = struct.unpack(">H", body[:2])[0]
    topic = body[2:2 + tlen].decode("utf-8", "replace")
    rest = body[2 + tlen:]
    pid = None
    if qos:
        pid = struct.unpack(">H", rest[:2])[0] if len(rest) >= 2 else None
        rest = rest[2:]
    return {"topic": topic, "qos": qos, "dup": bool(first & 8), "retain": bool(first & 1),
            "packet_id": pid, "payload": rest.decode("utf-8", "replace")}


class Pair:
    ids = 0

    def __init__(self, proxy, cr, cw, held):
        Pair.ids += 1
        self.id = Pair.ids
        self.proxy = proxy
        self.cr, self.cw = cr, cw
        self.ur = self.uw = None
        self.held = held  # born in a blackhole: waits for the heal
        self.held_bytes = []
        self.lost = False  # bytes dropped or a side closed during a blackhole
        self.closed = False
        self.frozen = False  # being cut in the middle of a frame: nothing more goes up
        self.tracker = FrameTracker()
        self.queues = {"up": asyncio.Queue(), "down": asyncio.Queue()}
        self.tasks = []

    def start_upstream_side(self):
        self.tasks.append(asyncio.ensure_future(self.pump(self.ur, "down")))
        self.tasks.append(asyncio.ensure_future(self.writer_task("up", self.uw)))
        self.tasks.append(asyncio.ensure_future(self.writer_task("down", self.cw)))

    async def connect_upstream(self):
        try:
            self.ur, self.uw = await asyncio.open_connection(self.proxy.upstream_host, self.proxy.upstream)
        except OSError:
            self.proxy.stats["upstream_failures"] += 1
            self.close(hard=True)
            return False
        if self.closed:
            rst(self.uw)
            return False
        for data in self.held_bytes:
            self.queues["up"].put_nowait((0, data))
        self.held_bytes = []
        self.start_upstream_side()
        return True

    async def pump(self, reader, direction):
        """Reads one side; what it read goes to the other side's queue, or nowhere."""
        stats = self.proxy.stats
        while not self.closed:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            if self.closed:
                return
            if not data:
                if self.proxy.blackhole and not self.held:
                    # Nobody on the other side hears of it; the heal cuts this pair.
                    self.lost = True
                    return
                if self.uw is None:
                    self.close(hard=False)
                    return
                self.queues[direction].put_nowait((0, EOF))
                return
            stats["bytes_" + direction] += len(data)
            if self.uw is None:
                # Held in a blackhole, or the upstream is still being connected.
                self.held_bytes.append(data)
                continue
            if self.frozen:
                continue
            if self.proxy.blackhole and not self.held:
                stats["dropped_bytes"] += len(data)
                self.lost = True
                if direction == "down":
                    self.tracker.frames(data)
                continue
            if direction == "down":
                frames = self.tracker.frames(data)
                armed = self.proxy.cut_mid
                if armed is not None:
                    cut = self.pick_cut(data, frames, armed)
                    if cut is not None:
                        at, facts = cut
                        self.proxy.cut_mid = None
                        self.proxy.stats["cut_mid"] = dict(facts, pair=self.id, at_ms=now_ms())
                        self.proxy.stats["cuts"] += 1
                        # Nothing more goes up either: the PUBACKs of what came before are
                        # lost with the connection, as on a real network.
                        self.frozen = True
                        self.queues["down"].put_nowait((self.deliver_at(), data[:at]))
                        self.queues["down"].put_nowait((self.deliver_at(), EOF))
                        return
            self.queues[direction].put_nowait((self.deliver_at(), data))

    def pick_cut(self, data, frames, armed):
        for start, head, size, opcode in frames:
            if start < 0:
                continue
            end = start + head + size
            facts = {"frame_bytes": head + size}
            if armed == "publish":
                if opcode not in (0x0, 0x2) or end > len(data):
                    continue
                publish = describe_publish(data[start + head:end])
                if publish is None:
                    continue
                facts.update(publish)
            at = min(start + max(1, (head + size) // 2), len(data) - 1)
            if at <= start:
                continue
            facts["forwarded_bytes_of_frame"] = at - start
            return at, facts
        return None

    def deliver_at(self):
        return time.monotonic() + self.proxy.latency_ms / 1000.0

    async def writer_task(self, direction, writer):
        q = self.queues[direction]
        while True:
            at, data = await q.get()
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.closed:
                return
            if self.frozen and direction == "up":
                continue
            if data is EOF:
                # One side ended: end the other after what it was owed (plain close).
                self.close(hard=False)
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                self.close(hard=True)
                return

    def close(self, hard):
        if self.closed:
            return
        self.closed = True
        self.proxy.pairs.discard(self)
        for w in (self.cw, self.uw):
            if hard:
                rst(w)
            else:
                fin(w)
        current = asyncio.current_task()
        for t in self.tasks:
            if t is not current:
                t.cancel()


class Proxy:
    def __init__(self, upstream, upstream_host):
        self.upstream = upstream
        self.upstream_host = upstream_host
        self.pairs = set()
        self.blackhole = False
        self.refuse = False
        self.latency_ms = 0
        self.cut_mid = None
        self.stats = {}
        self.reset()

    def reset(self):
        self.stats = {"accepted": 0, "refused": 0, "cuts": 0, "accept_times": [], "refused_times": [],
                      "bytes_up": 0, "bytes_down": 0, "dropped_bytes": 0, "upstream_failures": 0,
                      "cut_mid": None, "since_ms": now_ms()}

    async def on_client(self, reader, writer):
        self.stats["accepted"] += 1
        times = self.stats["accept_times"]
        times.append(now_ms())
        del times[:-10000]
        if self.refuse:
            self.stats["refused"] += 1
            self.stats["refused_times"].append(now_ms())
            del self.stats["refused_times"][:-10000]
            rst(writer)
            return
        pair = Pair(self, reader, writer, held=self.blackhole)
        self.pairs.add(pair)
        pair.tasks.append(asyncio.ensure_future(pair.pump(reader, "up")))
        if not pair.held:
            await pair.connect_upstream()

    async def command(self, line):
        words = line.strip().replace("/", " ").split()
        if not words:
            return {"error": "empty command"}
        cmd, args = words[0].lower(), [w.lower() for w in words[1:]]
        if cmd == "cut":
            hard = not args or args[0] != "fin"
            n = len(self.pairs)
            for p in list(self.pairs):
                p.close(hard=hard)
            self.stats["cuts"] += n
            return {"ok": True, "cut": n, "mode": "rst" if hard else "fin"}
        if cmd == "cut-mid":
            self.cut_mid = None if args == ["off"] else "publish" if args == ["publish"] else "any"
            return {"ok": True, "armed": self.cut_mid, "open": len(self.pairs)}
        if cmd in ("blackhole", "refuse") and args and args[0] in ("on", "off"):
            on = args[0] == "on"
            if cmd == "refuse":
                self.refuse = on
                return {"ok": True, "refuse": on}
            was, self.blackhole = self.blackhole, on
            healed = cut = 0
            if was and not on:
                for p in list(self.pairs):
                    if p.held:
                        p.held = False
                        if p.uw is None:
                            healed += 1
                            await p.connect_upstream()
                    elif p.lost:
                        cut += 1
                        p.close(hard=True)
            return {"ok": True, "blackhole": on, "healed": healed, "cut": cut}
        if cmd == "latency" and args and args[0].isdigit():
            self.latency_ms = int(args[0])
            return {"ok": True, "latency_ms": self.latency_ms}
        if cmd == "stats":
            return dict(self.stats, open=len(self.pairs), blackhole=self.blackhole, refuse=self.refuse,
                        latency_ms=self.latency_ms, cut_mid_armed=self.cut_mid)
        if cmd == "reset":
            self.reset()
            return {"ok": True}
        return {"error": f"unknown command: {line.strip()}"}

    async def on_control(self, reader, writer):
        try:
            first = (await reader.readline()).decode("latin-1")
            http = first.startswith(("GET ", "POST ", "PUT "))
            if http:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                line = first.split(" ")[1].split("?")[0]
            else:
                line = first
            body = json.dumps(await self.command(line)).encode() + b"\n"
            if http:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            else:
                writer.write(body)
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", type=int, required=True, help="the broker's WebSocket port")
    ap.add_argument("--upstream-host", default="127.0.0.1")
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--control", type=int, default=0)
    a = ap.parse_args()
    proxy = Proxy(a.upstream, a.upstream_host)
    server = await asyncio.start_server(proxy.on_client, "127.0.0.1", a.listen)
    control = await asyncio.start_server(proxy.on_control, "127.0.0.1", a.control)
    ports = {"listen": server.sockets[0].getsockname()[1], "control": control.sockets[0].getsockname()[1],
             "upstream": a.upstream}
    print(json.dumps(ports), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def orphan_watch(parent=os.getppid()):
        # A test runner that dies without stopping the proxy must not leave it behind.
        while os.getppid() == parent:
            await asyncio.sleep(1)
        stop.set()

    watch = asyncio.ensure_future(orphan_watch())
    await stop.wait()
    watch.cancel()
    server.close()
    control.close()
    for p in list(proxy.pairs):
        p.close(hard=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
