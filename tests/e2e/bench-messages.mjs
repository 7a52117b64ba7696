// Benchmark (prints figures, asserts nothing about speed): 100,000 messages into one device
// through a real mosquitto, then scrolling the message list.
//   node tests/e2e/bench-messages.mjs [count]
import { spawn } from 'node:child_process';
import { launchBrowser, serveDist, startBroker } from './harness.mjs';
import { DevicePanel, openPage } from './page.mjs';

const count = Number(process.argv[2] ?? 100_000);
const broker = await startBroker();
const site = await serveDist();
const browser = await launchBrowser();
try {
  const page = await openPage(browser, site.url, broker);
  const d = new DevicePanel(page, 0);
  await d.connect({ clientId: 'bench-rx' });
  await d.subscribe('bench/#', 0);

  const t0 = Date.now();
  const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', 'bench/load', '-q', '0', '-l']);
  const lines = [];
  for (let i = 1; i <= count; i += 1) lines.push(`{"n":${i},"temperature":21.5,"device":"bench"}`);
  pub.stdin.end(`${lines.join('\n')}\n`);
  await new Promise((r) => pub.on('exit', r));
  const sent = Date.now() - t0;
  // Wait until every message is listed, or the count stops moving for 5 s (a broker may
  // drop QoS 0 messages to a slow subscriber: that is reported, not hidden).
  const total = () => page.evaluate(() => Number(document.querySelector('[data-testid="msg-count"]')?.dataset.total ?? 0));
  let listed = 0; let lastChange = Date.now(); let doneAt = Date.now();
  while (listed < count && Date.now() - lastChange < 5_000) {
    await new Promise((r) => setTimeout(r, 200));
    const n = await total();
    if (n !== listed) { listed = n; lastChange = Date.now(); doneAt = lastChange; }
  }
  const received = doneAt - t0;
  console.log(`ingest: ${count} QoS 0 messages published in ${(sent / 1000).toFixed(1)} s; ${listed} listed after ${(received / 1000).toFixed(1)} s = ${Math.round(listed / (received / 1000))} messages/s end to end`);

  const rows = await page.locator('[data-testid="msg-row"]').count();
  console.log(`dom: ${rows} msg-row elements in the DOM for ${listed} messages`);

  const frames = await page.evaluate(async () => {
    const list = document.querySelector('.messages-scroll');
    const deltas = [];
    let last = performance.now();
    list.scrollTop = 0;
    for (let i = 0; i < 180; i += 1) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
      list.scrollTop = (i / 180) * list.scrollHeight;
    }
    return deltas.sort((a, b) => a - b);
  });
  const pct = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))].toFixed(1);
  console.log(`scroll: 180 frames jumping through ${listed} rows: frame time p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${frames[frames.length - 1].toFixed(1)} ms`);

  const filterStart = Date.now();
  await d.fill('msg-filter-text', 'no-such-payload');
  await page.waitForFunction(() => document.querySelector('[data-testid="msg-count"]').dataset.matching === '0', null, { timeout: 60_000 });
  console.log(`filter: payload text filter over ${listed} messages answered in ${Date.now() - filterStart} ms`);

  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
  if (heap) console.log(`memory: JS heap ${(heap / 1048576).toFixed(1)} MiB (wasm memory not included)`);
  const wasm = await page.evaluate(() => {
    const mem = globalThis.wasmBindings?.__wbindgen_export_0 ?? null;
    return mem?.buffer?.byteLength ?? null;
  });
  if (wasm) console.log(`memory: wasm linear memory ${(wasm / 1048576).toFixed(1)} MiB`);
} finally {
  await browser.close();
  await site.close();
  broker.stop();
}
