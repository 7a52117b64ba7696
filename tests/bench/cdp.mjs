// Debian's Chromium started directly and driven over a bare DevTools (CDP) WebSocket.
//
// Why not Playwright: it enables the CDP Network domain on every page, and with that domain on,
// Chromium reports every WebSocket frame to the client, which slows WebSocket traffic 2.5 to 3.4
// times on this machine. Here no domain is ever enabled: only Target.createTarget /
// attachToTarget (flatten), Runtime.evaluate and Target.closeTarget are sent, and the pages time
// themselves with performance.now().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Opens a WebSocket: Node's own (node >= 22, or 20 with --experimental-websocket), else `ws`. */
async function openSocket(url) {
  let Socket = globalThis.WebSocket;
  if (typeof Socket !== 'function') {
    try {
      Socket = (await import('ws')).default;
    } catch {
      throw new Error('no WebSocket client: run node with --experimental-websocket (node 20) or install ws');
    }
  }
  const ws = new Socket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', (e) => reject(new Error(`CDP WebSocket: ${e.message ?? 'error'}`)), { once: true });
  });
  return ws;
}

export class Browser {
  static async launch({ executable = process.env.CHROMIUM ?? '/usr/bin/chromium', extraArgs = [] } = {}) {
    const port = await freePort();
    const profile = mkdtempSync(path.join(tmpdir(), 'ackscope-bench-chromium-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // performance.memory without its coarse bucketing (the 1M-message memory figure).
      '--enable-precise-memory-info',
      '--window-size=1280,800',
      `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, ...extraArgs, 'about:blank'];
    // Own process group, so that close() ends Chromium and its children and nothing else.
    const child = spawn(executable, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    let version = null;
    for (let i = 0; i < 200 && !version; i += 1) {
      if (child.exitCode !== null) break;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/version`);
        if (res.ok) version = await res.json();
      } catch { /* not listening yet */ }
      if (!version) await sleep(100);
    }
    if (!version) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      throw new Error(`Chromium did not open its DevTools port:\n${stderr}`);
    }
    const ws = await openSocket(version.webSocketDebuggerUrl);
    return new Browser(child, profile, ws, version);
  }

  constructor(child, profile, ws, version) {
    this.child = child;
    this.profile = profile;
    this.ws = ws;
    this.version = version.Browser;
    this.nextId = 1;
    this.pending = new Map();
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : ev.data.toString());
      if (msg.id === undefined) return; // events: none are subscribed to
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    });
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('CDP connection closed'));
      this.pending.clear();
    });
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(msg));
    });
  }

  /** A new tab at `url`, attached with a flat session; resolves once the document has loaded. */
  async newPage(url, { ready = 'document.readyState === "complete"', timeout = 30_000 } = {}) {
    const { targetId } = await this.send('Target.createTarget', { url });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, targetId, sessionId);
    const until = Date.now() + timeout;
    for (;;) {
      try {
        const ok = await page.evaluate(`location.href !== 'about:blank' && (${ready})`);
        if (ok) break;
      } catch { /* the context is being replaced by the navigation */ }
      if (Date.now() > until) throw new Error(`page ${url} not ready within ${timeout} ms`);
      await sleep(50);
    }
    return page;
  }

  async close() {
    try { await this.send('Browser.close'); } catch { /* already closing */ }
    const exited = new Promise((r) => { if (this.child.exitCode !== null) r(); else this.child.once('exit', r); });
    await Promise.race([exited, sleep(3000)]);
    try { process.kill(-this.child.pid, 'SIGKILL'); } catch { /* gone */ }
    try { this.ws.close(); } catch { /* closed */ }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(browser, targetId, sessionId) {
    this.browser = browser;
    this.targetId = targetId;
    this.sessionId = sessionId;
  }

  /** Evaluates an expression in the page; awaits a promise; returns the value (JSON). */
  async evaluate(expression) {
    const r = await this.browser.send('Runtime.evaluate', {
      expression, awaitPromise: true, returnByValue: true, userGesture: true,
    }, this.sessionId);
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`in page: ${d.exception?.description ?? d.text}`);
    }
    return r.result.value;
  }

  /** Runs a full garbage collection in the page (HeapProfiler.collectGarbage; the domain is
   * not enabled, so nothing else is traced). */
  async collectGarbage() {
    await this.browser.send('HeapProfiler.collectGarbage', {}, this.sessionId);
  }

  async close() {
    try { await this.browser.send('Target.closeTarget', { targetId: this.targetId }); } catch { /* gone */ }
  }
}
