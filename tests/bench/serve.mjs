// One static server for both sides of the benchmark, on a free loopback port:
//   /                 dist/index.html (the release build of ackscope), with <script src=
//                     "/bench/bench-hooks.js"> first in <head> (a file, not inline: the page's
//                     Content-Security-Policy allows scripts from 'self' only); the hooks only
//                     listen (first render time, the wasm memory);
//   /<file>           dist/<file>;
//   /bench/mqttjs.html, /bench/mqtt.min.js   the bare mqtt.js page and mqtt.js's browser bundle.
// dist/ is read into memory at the start (a rebuild meanwhile changes nothing served). Every
// response is `no-store`, so each page load fetches and compiles everything again.
import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import net from 'node:net';

const here = path.dirname(new URL(import.meta.url).pathname);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** mqtt.js's prebuilt browser bundle (it defines the global `mqtt`). */
export function mqttBundlePath() {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('mqtt/package.json');
  const file = path.join(path.dirname(pkg), 'dist/mqtt.min.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: npm ci installs mqtt (a dev dependency)`);
  return { file, version: JSON.parse(readFileSync(pkg, 'utf8')).version };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export async function serveBench(dist) {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`${dist}/index.html is missing: run scripts/build.sh first`);
  // dist/ is read once, here: a rebuild while the benchmark runs changes nothing it serves.
  const files = new Map();
  for (const name of readdirSync(dist)) {
    const file = path.join(dist, name);
    if (statSync(file).isFile() && !name.startsWith('.')) files.set(`/${name}`, readFileSync(file));
  }
  const index = files.get('/index.html').toString('utf8')
    .replace(/<head>/i, '<head><script src="/bench/bench-hooks.js"></script>');
  const bench = {
    '/bench/bench-hooks.js': readFileSync(path.join(here, 'bench-hooks.js')),
    '/bench/mqttjs.html': readFileSync(path.join(here, 'mqttjs.html')),
    '/bench/mqtt.min.js': readFileSync(mqttBundlePath().file),
  };
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const body = pathname === '/' || pathname === '/index.html' ? index : bench[pathname] ?? files.get(pathname);
    const headers = { 'cache-control': 'no-store' };
    if (body === undefined) { res.writeHead(404, headers); res.end('not found'); return; }
    const type = pathname === '/' ? '.html' : path.extname(pathname);
    res.writeHead(200, { ...headers, 'content-type': types[type] ?? 'application/octet-stream' });
    res.end(body);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    /** The files of dist/ as served: name -> bytes. */
    files,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
