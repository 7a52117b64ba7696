// The end-to-end harness: a real mosquitto on free ports, the trunk-built release page served
// from dist/, Debian's Chromium driven by playwright-core. Nothing is mocked.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts mosquitto from the repo's config; `extraConf` is a file of global options. */
export async function startBroker(extraConf) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-broker-'));
  const tcp = await freePort();
  const ws = await freePort();
  const args = ['start', dir, String(tcp), String(ws)];
  if (extraConf) args.push(extraConf);
  execFileSync(path.join(root, 'scripts/broker.sh'), args, { stdio: 'inherit' });
  return {
    dir, tcp, ws,
    url: `ws://127.0.0.1:${ws}/mqtt`,
    stop() { execFileSync(path.join(root, 'scripts/broker.sh'), ['stop', dir], { stdio: 'inherit' }); },
  };
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Serves dist/ (the release build) on a free loopback port. */
export async function serveDist() {
  // ACKSCOPE_DIST serves another build (the debug one, where overflow checks are on).
  const dist = path.resolve(root, process.env.ACKSCOPE_DIST ?? 'dist');
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('dist/ is missing: run trunk build --release first');
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = path.join(dist, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** mosquitto_pub against the test broker's TCP listener. */
export function mqttPub(broker, topic, message, qos = 1, extra = []) {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', topic, '-m', message, '-q', String(qos), ...extra]);
}

/** mosquitto_sub that waits for `count` messages; resolves with their lines. */
export function mqttSub(broker, topic, count) {
  const child = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', topic, '-C', String(count), '-W', '20', '-v']);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const done = new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`mosquitto_sub exited ${code}: ${out}`))));
  });
  return { done, ready: new Promise((r) => setTimeout(r, 300)) };
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function assertEq(actual, expected, message) {
  const a = JSON.stringify(actual); const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`assertion failed: ${message}\n  expected ${e}\n  actual   ${a}`);
}

/** Starts scripts/fault-proxy.py in front of `upstreamPort` (the broker's WebSocket port).
 *  `url` is the broker URL to give a device; `command('cut')` etc. send control commands. */
export async function startFaultProxy(upstreamPort) {
  const child = spawn('python3', [path.join(root, 'scripts/fault-proxy.py'), '--upstream', String(upstreamPort)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fault-proxy did not start within 10 s')), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(timer); resolve(JSON.parse(out.split('\n')[0])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`fault-proxy exited ${code}`)); });
  });
  const command = async (cmd) => {
    const res = await fetch(`http://127.0.0.1:${ports.control}/${cmd.trim().split(/\s+/).join('/')}`);
    const body = await res.json();
    if (body.error) throw new Error(`fault-proxy: ${body.error}`);
    return body;
  };
  return {
    ...ports,
    url: `ws://127.0.0.1:${ports.listen}/mqtt`,
    command,
    stats: () => command('stats'),
    stop() { if (child.exitCode === null) child.kill('SIGTERM'); },
  };
}

/** Stops the broker (SIGTERM: a clean shutdown that saves its database; SIGKILL: a crash that
 *  keeps only what autosave wrote) and starts it again on the same ports and folder. */
export async function restartBroker(broker, { signal = 'SIGTERM', extraConf, downMs = 0 } = {}) {
  const pidFile = path.join(broker.dir, 'pid');
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  process.kill(pid, signal);
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (let i = 0; i < 100 && alive(); i += 1) await new Promise((r) => setTimeout(r, 100));
  if (alive()) throw new Error(`mosquitto ${pid} did not stop on ${signal}`);
  if (downMs) await new Promise((r) => setTimeout(r, downMs));
  const args = ['start', broker.dir, String(broker.tcp), String(broker.ws)];
  if (extraConf) args.push(extraConf);
  execFileSync(path.join(root, 'scripts/broker.sh'), args, { stdio: 'inherit' });
}
