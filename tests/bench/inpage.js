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

  // --- ackscope, device 0, through data-testid ---------------------------------------------
  B.dev = () => document.querySelector('[data-testid="device"][data-index="0"]');
  B.el = (id) => B.dev()?.querySelector(`[data-testid="${id}"]`);
  const valueSetter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  B.setText = (id, v) => {
    const el = B.el(id);
    valueSetter.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  B.setCheck = (id, on) => { const el = B.el(id); if (el.checked !== on) el.click(); };
  B.setSelect = (id, v) => {
    const el = B.el(id);
    el.value = String(v);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };
  B.click = (id) => B.el(id).click();
  B.state = () => B.el('conn-state')?.dataset.state;
  B.total = () => Number(B.el('msg-count')?.dataset.total ?? 0);

  /** Connects device 0 (state `connected`), subscribes (SUBACK shown); returns the granted QoS. */
  B.ackConnectSubscribe = async ({ url, clientId, clean, topic, qos }) => {
    // Set even with ?broker= in the address: a form kept in localStorage by an earlier page wins.
    B.setText('broker-url', url);
    B.setText('client-id', clientId);
    B.setCheck('clean-session', clean);
    await B.sleep(50);
    B.click('connect');
    await B.waitFor(() => B.state() === 'connected', 10_000, 'connected');
    B.setText('sub-topic', topic);
    B.setSelect('sub-qos', qos);
    await B.sleep(50);
    B.click('subscribe');
    const row = await B.waitFor(() => {
      const r = B.dev().querySelector(`[data-testid="sub-row"][data-topic="${CSS.escape(topic)}"]`);
      return r && r.dataset.granted !== '' && r;
    }, 10_000, 'SUBACK');
    return row.dataset.granted;
  };
  B.ackDisconnect = async () => {
    B.click('disconnect');
    await B.waitFor(() => B.state() === 'disconnected', 10_000, 'disconnected');
  };

  // --- the first bytes from the broker on the next WebSocket (CONNACK comes first) ---------
  // window.WebSocket is replaced by a subclass whose listeners remove themselves after the
  // first event: no cost per message. Both pages call `new WebSocket` through the global.
  B.watchSocket = () => {
    B.socketOpenAt = null;
    B.firstMsgAt = null;
    B.socketsOpened = 0;
    if (B.OrigWebSocket) return;
    const Orig = (B.OrigWebSocket = window.WebSocket);
    window.WebSocket = class extends Orig {
      constructor(...args) {
        super(...args);
        B.socketsOpened += 1;
        this.addEventListener('open', () => { B.socketOpenAt ??= now(); }, { once: true });
        this.addEventListener('message', () => { B.firstMsgAt ??= now(); }, { once: true });
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
