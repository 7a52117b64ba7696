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
  const dist = path.join(root, 'dist');
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
