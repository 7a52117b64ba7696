// ackscope's socket worker: the page's WebSockets, off the main thread (edge/socket.rs).
// It holds no rules: it opens, sends and closes what the page asks, and hands back what
// arrived, in order, a batch per task, so the page's main thread pays for a few messages
// instead of one per MQTT packet and stays free to render.
//
// Page -> worker: [op, id, arg]: 0 open (arg: url), 1 send (arg: ArrayBuffer), 2 close,
// 3 close every socket (the page crashed).
// Worker -> page: a flat array [id, kind, arg, ...]: 0 open, 1 bytes (arg: ArrayBuffer, the
// bytes of consecutive messages of one socket joined), 2 closed (arg: code), 3 refused to
// open (arg: text), 4 a send failed (arg: text).
'use strict';

/** A batch this large is posted at once; a drain step of the page handles about this much. */
const BATCH_BYTES = 16384;

const sockets = new Map();
let pending = [];
let pendingBytes = 0;
let posted = false;
// A posted task, not a timer: it runs after the socket input already queued.
const tick = new MessageChannel();
tick.port1.onmessage = flush;

function schedule() {
  if (!posted) {
    posted = true;
    tick.port2.postMessage(null);
  }
}

function push(id, kind, arg) {
  pending.push(id, kind, arg);
  schedule();
}

function flush() {
  posted = false;
  if (pending.length === 0) return;
  const out = [];
  const transfer = [];
  for (let i = 0; i < pending.length; i += 3) {
    const [id, kind, arg] = [pending[i], pending[i + 1], pending[i + 2]];
    const last = out.length - 3;
    if (kind === 1 && last >= 0 && out[last] === id && out[last + 1] === 1) {
      out[last + 2].push(arg);
    } else {
      out.push(id, kind, kind === 1 ? [arg] : arg);
    }
  }
  for (let i = 0; i < out.length; i += 3) {
    if (out[i + 1] !== 1) continue;
    const parts = out[i + 2];
    let joined = parts[0];
    if (parts.length > 1 || joined.byteLength !== joined.buffer.byteLength) {
      joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
    }
    out[i + 2] = joined.buffer;
    transfer.push(joined.buffer);
  }
  pending = [];
  pendingBytes = 0;
  postMessage(out, transfer);
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.close();
}

function open(id, url) {
  let ws;
  try {
    ws = new WebSocket(url, 'mqtt');
  } catch (e) {
    push(id, 3, String((e && e.message) || e));
    return;
  }
  ws.binaryType = 'arraybuffer';
  sockets.set(id, ws);
  ws.onopen = () => push(id, 0, null);
  ws.onmessage = (e) => {
    // MQTT is binary; a text frame is passed on as its bytes, so that the page's framing
    // reports it as malformed rather than it vanishing.
    const bytes = typeof e.data === 'string' ? new TextEncoder().encode(e.data) : new Uint8Array(e.data);
    pending.push(id, 1, bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= BATCH_BYTES) flush();
    else schedule();
  };
  ws.onclose = (e) => {
    sockets.delete(id);
    push(id, 2, e.code);
  };
}

onmessage = (e) => {
  const [op, id, arg] = e.data;
  const ws = sockets.get(id);
  if (op === 0) {
    open(id, arg);
  } else if (op === 1 && ws) {
    try {
      ws.send(arg);
    } catch (err) {
      push(id, 4, String((err && err.message) || err));
    }
  } else if (op === 2 && ws) {
    sockets.delete(id);
    detach(ws);
  } else if (op === 3) {
    sockets.forEach(detach);
    sockets.clear();
  }
};
