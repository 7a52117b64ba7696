// Evaluated inside each benchmark page (ackscope's and the bare mqtt.js one) through
// Runtime.evaluate by tests/bench/run.mjs. Defines window.__bench: ackscope's controls driven
// through its automation contract (data-testid), a frame recorder, and timed runs.
(() => {
  if (window.__bench) return;
  const B = (window.__bench = {});
  const now = () => performance.now();
  B.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  B.frame = () => new Promise((r) => requestAnimationFrame(() => r(now())));
  B.waitFor = async (fn, timeout = 10_000, what = String(fn)) => {
    const end = now() + timeout;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      await B.sleep(20);
    }
  };

  // --- ackscope, device `i` (0 unless told), through data-testid ----------------------------
  // Fields inside a device's folded settings are set all the same: the events reach them.
  B.dev = (i = 0) => document.querySelector(`[data-testid="device"][data-index="${i}"]`);
  B.el = (id, i = 0) => B.dev(i)?.querySelector(`[data-testid="${id}"]`);
  const valueSetter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  B.setText = (id, v, i = 0) => {
    const el = B.el(id, i);
    valueSetter.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  B.setCheck = (id, on, i = 0) => { const el = B.el(id, i); if (el.checked !== on) el.click(); };
  B.setSelect = (id, v, i = 0) => {
    const el = B.el(id, i);
    el.value = String(v);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };
  B.click = (id, i = 0) => B.el(id, i).click();
  B.state = (i = 0) => B.el('conn-state', i)?.dataset.state;
  B.total = (i = 0) => Number(B.el('msg-count', i)?.dataset.total ?? 0);
  B.devices = () => document.querySelectorAll('[data-testid="device"]').length;

  /** Clicks `device-add` until the page has `k` devices. */
  B.ackDevices = async (k) => {
    while (B.devices() < k) {
      const had = B.devices();
      const add = document.querySelector('[data-testid="device-add"]');
      if (!add || add.disabled) throw new Error(`device-add is ${add ? 'disabled' : 'missing'} at ${had} devices`);
      add.click();
      await B.waitFor(() => B.devices() > had, 10_000, `device ${had}`);
    }
    return B.devices();
  };

  /** Connects device `index` (state `connected`), subscribes (SUBACK shown); returns the granted QoS. */
  B.ackConnectSubscribe = async ({ url, clientId, clean, topic, qos, index = 0 }) => {
    const i = index;
    // Set even with ?broker= in the address: a form kept in localStorage by an earlier page wins.
    B.setText('broker-url', url, i);
    B.setText('client-id', clientId, i);
    B.setCheck('clean-session', clean, i);
    await B.sleep(50);
    B.click('connect', i);
    await B.waitFor(() => B.state(i) === 'connected', 10_000, `device ${i} connected`);
    B.setText('sub-topic', topic, i);
    B.setSelect('sub-qos', qos, i);
    await B.sleep(50);
    B.click('subscribe', i);
    const row = await B.waitFor(() => {
      const r = B.dev(i).querySelector(`[data-testid="sub-row"][data-topic="${CSS.escape(topic)}"]`);
      return r && r.dataset.granted !== '' && r;
    }, 10_000, `device ${i}'s SUBACK`);
    return row.dataset.granted;
  };
  B.ackDisconnect = async () => {
    B.click('disconnect');
    await B.waitFor(() => B.state() === 'disconnected', 10_000, 'disconnected');
  };

  // --- the first bytes from the broker on the next WebSocket (CONNACK comes first) ---------
  // Every socket a page opens is tracked, in order, in B.sockets (the live streams listen on
  // them), with listeners that remove themselves after the first event: no cost per message.
  // mqtt.js calls `new WebSocket` through the global, which is replaced by a subclass.
  // ackscope's sockets live in its socket worker (src/edge/socket_worker.js, protocol there):
  // the Worker global is replaced from the start by a subclass that stands an EventTarget in
  // for each socket the page asks it to open, with its readyState, an `open` event, and a
  // `message` event whenever bytes of it reach the page (before the page's own handler).
  const track = (s) => {
    B.socketsOpened += 1;
    B.sockets.push(s);
    s.addEventListener('open', () => { B.socketOpenAt ??= now(); }, { once: true });
    s.addEventListener('message', () => { B.firstMsgAt ??= now(); }, { once: true });
  };
  B.socketsOpened = 0;
  B.sockets = [];
  if (window.Worker) {
    window.Worker = class extends window.Worker {
      constructor(...args) {
        super(...args);
        this.relayed = new Map();
        this.addEventListener('message', (e) => {
          const d = e.data;
          for (let i = 0; i + 2 < d.length; i += 3) {
            const s = this.relayed.get(d[i]);
            if (!s) continue;
            if (d[i + 1] === 0) { s.readyState = 1; s.dispatchEvent(new Event('open')); }
            else if (d[i + 1] === 1) s.dispatchEvent(new Event('message'));
            else { s.readyState = 3; this.relayed.delete(d[i]); }
          }
        });
      }
      postMessage(m, transfer) {
        if (Array.isArray(m) && m[0] === 0) {
          const s = new EventTarget();
          s.readyState = 0;
          this.relayed.set(m[1], s);
          track(s);
        }
        return transfer === undefined ? super.postMessage(m) : super.postMessage(m, transfer);
      }
    };
  }
  B.watchSocket = () => {
    B.socketOpenAt = null;
    B.firstMsgAt = null;
    B.socketsOpened = 0;
    B.sockets = [];
    if (B.OrigWebSocket) return;
    const Orig = (B.OrigWebSocket = window.WebSocket);
    window.WebSocket = class extends Orig {
      constructor(...args) {
        super(...args);
        track(this);
      }
    };
  };

  // --- frames ------------------------------------------------------------------------------
  B.loafSupported = typeof PerformanceObserver !== 'undefined'
    && PerformanceObserver.supportedEntryTypes.includes('long-animation-frame');
  /** Records every animation frame's timestamp and what `countFn` shows then; long frames. */
  B.record = (countFn) => {
    const r = { frames: [], counts: [], loaf: [], running: true };
    const loop = (t) => {
      if (!r.running) return;
      r.frames.push(t);
      r.counts.push(countFn());
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    if (B.loafSupported) {
      r.po = new PerformanceObserver((l) => { for (const e of l.getEntries()) r.loaf.push([e.startTime, e.duration]); });
      r.po.observe({ type: 'long-animation-frame' });
    }
    r.stop = () => { r.running = false; r.po?.takeRecords().forEach((e) => r.loaf.push([e.startTime, e.duration])); r.po?.disconnect(); };
    /** Over [from, to]: the largest gap between frames, between frames that showed a new count, the worst long frame. */
    r.stats = (from, to) => {
      let prev = from; let maxGap = 0; let lastChange = from; let maxCountGap = 0; let shown = null; let frames = 0;
      for (let i = 0; i < r.frames.length; i += 1) {
        const t = r.frames[i];
        if (t < from) { shown = r.counts[i]; continue; }
        frames += 1;
        maxGap = Math.max(maxGap, t - prev);
        prev = t;
        if (r.counts[i] !== shown) {
          maxCountGap = Math.max(maxCountGap, t - lastChange);
          lastChange = t;
          shown = r.counts[i];
        }
        if (t > to) break;
      }
      if (prev < to) maxGap = Math.max(maxGap, to - prev);
      let worst = 0; let longFrames = 0;
      for (const [start, dur] of r.loaf) {
        if (start + dur < from || start > to) continue;
        longFrames += 1;
        worst = Math.max(worst, dur);
      }
      return { frames, maxGap, maxCountGap, worstLoaf: B.loafSupported ? worst : null, longFrames };
    };
    return r;
  };

  /** Shared by both pages: starts the connect, waits for `n` counted, times it all. */
  B.timedDrain = async ({ n, timeout, countFn, start, visibleCount }) => {
    B.watchSocket();
    const rec = B.record(countFn);
    await B.sleep(200);
    let tN = null;
    let resolveDone;
    const done = new Promise((r) => { resolveDone = r; });
    const reached = (t) => { if (tN === null) { tN = t; resolveDone(); } };
    const tClick = now();
    const extra = await start(reached);
    const timer = B.sleep(timeout);
    await Promise.race([done, timer]);
    const timedOut = tN === null;
    // Let the frames after the N-th message be recorded (the gap that ends the drain).
    await Promise.race([B.frame().then(B.frame), B.sleep(2000)]);
    rec.stop();
    const connack = B.firstMsgAt;
    const end = timedOut ? now() : tN;
    const s = rec.stats(connack ?? tClick, end);
    return {
      timedOut, count: countFn(), clickToN: end - tClick, connackToN: connack == null ? null : end - connack,
      clickToConnack: connack == null ? null : connack - tClick,
      ...s, maxCountGap: visibleCount ? s.maxCountGap : null, ...extra,
    };
  };

  /** ackscope: connect (the persistent session is already there), until msg-count shows n. */
  B.ackDrain = ({ n, timeout }) => B.timedDrain({
    n, timeout, countFn: B.total, visibleCount: true,
    start: async (reached) => {
      let bound = null;
      const check = () => { if (B.total() >= n) reached(now()); };
      const mo = new MutationObserver(check);
      const bind = () => {
        const el = B.el('msg-count');
        if (el && el !== bound) { mo.disconnect(); mo.observe(el, { attributes: true, attributeFilter: ['data-total'] }); bound = el; }
      };
      bind();
      const poll = setInterval(() => { bind(); check(); }, 50);
      B.click('connect');
      B.afterDrain = () => { clearInterval(poll); mo.disconnect(); };
      return {};
    },
  }).finally(() => B.afterDrain?.());

  /** bare mqtt.js (tests/bench/mqttjs.html): a new client on the persistent session. */
  B.mqDrain = ({ url, clientId, n, timeout }) => B.timedDrain({
    n, timeout, countFn: () => window.mq.count, visibleCount: window.mq.mode === 'li',
    start: async (reached) => {
      const mq = window.mq;
      mq.count = 0;
      mq.target = n;
      mq.onTarget = reached;
      mq.connect(url, clientId, false).then((a) => { B.mqConnectEvent = a; });
      return {};
    },
  });

  // --- live streams: k receivers (ackscope's devices 0..k-1, or mqtt.js clients) -----------
  /**
   * Armed once the receivers are connected and subscribed, before the publishers start. Per
   * receiver i (its socket is the i-th opened since watchSocket): the first WebSocket message
   * after arming (its first message) and when its count last changed (ackscope: msg-count's
   * data-total, seen by a MutationObserver; mqtt.js: the handler call that counted the n-th
   * message, else the last change a 20 ms poll saw). Frames recorded throughout.
   */
  B.liveArm = ({ n, k }) => {
    const mq = window.mq;
    const recv = mq ? (mq.many.length ? mq.many : [mq]) : null;
    const counts = recv ? () => recv.map((r) => r.count) : () => Array.from({ length: k }, (_, i) => B.total(i));
    const L = (B.live = {
      n, k, counts, first: Array(k).fill(null), last: Array(k).fill(null), reached: Array(k).fill(null),
      shown: counts(), start: counts(), socketNote: null,
    });
    const open = B.sockets.filter((s) => s.readyState === 1);
    if (open.length !== k) L.socketNote = `${open.length} open WebSockets for ${k} receivers (${B.socketsOpened} opened)`;
    open.slice(0, k).forEach((s, i) => s.addEventListener('message', () => { L.first[i] ??= now(); }, { once: true }));
    L.mark = () => {
      const c = counts(); const t = now();
      for (let i = 0; i < k; i += 1) {
        if (c[i] === L.shown[i]) continue;
        L.shown[i] = c[i]; L.last[i] = t;
        if (c[i] - L.start[i] >= n && L.reached[i] == null) L.reached[i] = t;
      }
    };
    if (recv) {
      recv.forEach((r, i) => {
        r.target = r.count + n;
        r.onTarget = (t) => { L.reached[i] = t; L.last[i] = t; L.shown[i] = r.count; };
      });
      L.poll = setInterval(L.mark, 20);
    } else {
      const bound = [];
      const mo = new MutationObserver(L.mark);
      const bind = () => {
        for (let i = 0; i < k; i += 1) {
          const el = B.el('msg-count', i);
          if (el && el !== bound[i]) { mo.observe(el, { attributes: true, attributeFilter: ['data-total'] }); bound[i] = el; }
        }
      };
      bind();
      L.poll = setInterval(() => { bind(); L.mark(); }, 50);
      L.mo = mo;
    }
    L.rec = B.record(() => counts().join(','));
    return { sockets: open.length };
  };

  /** Waits until every receiver counted n, or no count moved for quietMs (or maxMs); the figures. */
  B.liveFinish = async ({ quietMs = 5000, maxMs = 120_000 }) => {
    const L = B.live;
    const t0 = now();
    let moved = now(); let seen = L.counts().join(',');
    while (L.reached.some((x) => x == null) && now() - moved < quietMs && now() - t0 < maxMs) {
      await B.sleep(50);
      L.mark();
      const c = L.counts().join(',');
      if (c !== seen) { seen = c; moved = now(); }
    }
    // The frames after the last message (the gap that ends the stream).
    await Promise.race([B.frame().then(B.frame), B.sleep(2000)]);
    L.rec.stop();
    clearInterval(L.poll);
    L.mo?.disconnect();
    L.mark();
    const c = L.counts();
    const per = [];
    for (let i = 0; i < L.k; i += 1) {
      const first = L.first[i]; const end = L.reached[i] ?? L.last[i];
      const received = c[i] - L.start[i];
      // Largest gap between frames that showed a new count of this receiver, over its stream.
      let maxCountGap = null;
      if (first != null && end != null) {
        let shown = null; let lastChange = first; maxCountGap = 0;
        for (let j = 0; j < L.rec.frames.length; j += 1) {
          const t = L.rec.frames[j]; const v = L.rec.counts[j].split(',')[i];
          if (t < first) { shown = v; continue; }
          if (v !== shown) { maxCountGap = Math.max(maxCountGap, t - lastChange); lastChange = t; shown = v; }
          if (t > end) break;
        }
      }
      per.push({
        received, reached: L.reached[i] != null, first, end,
        ms: first != null && end != null ? end - first : null,
        rate: first != null && end != null && end > first ? received / ((end - first) / 1000) : null,
        maxCountGap,
      });
    }
    const firsts = per.map((p) => p.first).filter((x) => x != null);
    const ends = per.map((p) => p.end).filter((x) => x != null);
    const from = firsts.length ? Math.min(...firsts) : null;
    const to = ends.length ? Math.max(...ends) : null;
    const s = from != null && to != null ? L.rec.stats(from, to) : {};
    return {
      per, from, to, ms: from != null && to != null ? to - from : null, socketNote: L.socketNote,
      received: per.reduce((a, p) => a + p.received, 0),
      frames: s.frames, maxGap: s.maxGap, worstLoaf: s.worstLoaf, longFrames: s.longFrames,
      maxCountGap: per.length ? Math.max(...per.map((p) => p.maxCountGap ?? 0)) : null,
    };
  };

  /** Polls `countFn` every 100 ms until it has not changed for `quietMs`; the count and when. */
  B.settle = async (countFn, quietMs, maxMs) => {
    const t0 = now();
    let last = countFn(); let changedAt = now();
    while (now() - changedAt < quietMs && now() - t0 < maxMs) {
      await B.sleep(100);
      const c = countFn();
      if (c !== last) { last = c; changedAt = now(); }
    }
    return { count: last, lastChangeMs: changedAt - t0 };
  };
})();
