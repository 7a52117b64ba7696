// Real networks fail (issue 14): cuts, a cut in the middle of a packet, a blackhole, a broker
// restart, refused connections and the browser going offline, through the page against
// mosquitto. The faults come from scripts/fault-proxy.py between the page and the broker's
// WebSocket listener, from restarting mosquitto, and from Playwright's context.setOffline.
import { readFile } from 'node:fs/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq, mqttPub, restartBroker, startFaultProxy } from './harness.mjs';
import { DevicePanel } from './page.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function addDevice(page, index) {
  await page.locator('[data-testid="device-add"]').click();
  const d = new DevicePanel(page, index);
  await d.root.waitFor();
  return d;
}

/** Every moment of a device's timeline (the axis keeps them all; the list shows the last 8). */
export async function timeline(device) {
  return device.root.locator('[data-testid="timeline-axis"] circle').evaluateAll((cs) => cs.map((c) => ({
    kind: c.dataset.kind, text: c.querySelector('title')?.textContent ?? '',
  })));
}

export async function waitTimeline(device, kind, count = 1, timeout = 15_000) {
  const index = await device.root.getAttribute('data-index');
  await device.page.waitForFunction(([i, k, n]) => document.querySelectorAll(
    `[data-testid="device"][data-index="${i}"] [data-testid="timeline-axis"] circle[data-kind="${k}"]`).length >= n,
  [index, kind, count], { timeout });
}

export async function timelineCount(device, kind) {
  return (await timeline(device)).filter((n) => n.kind === kind).length;
}

/** All messages of a device, through its JSON export (the list on screen is virtualised). */
export async function exportMessages(device) {
  const [download] = await Promise.all([device.page.waitForEvent('download'), device.click('msg-export-json')]);
  return JSON.parse(await readFile(await download.path(), 'utf8'));
}

export async function probeSummary(device) {
  return device.el('probe-summary').evaluateAll((rows) => rows.map((r) => ({
    series: r.dataset.series, received: Number(r.dataset.received), missing: Number(r.dataset.missing),
    duplicates: Number(r.dataset.duplicates),
  })));
}

/** Waits until the device holds `count` distinct probes of its (single) series. */
export async function waitDistinctProbes(device, count, timeout) {
  const index = await device.root.getAttribute('data-index');
  await device.page.waitForFunction(([i, n]) => {
    const r = document.querySelector(`[data-testid="device"][data-index="${i}"] [data-testid="probe-summary"]`);
    return r !== null && Number(r.dataset.received) - Number(r.dataset.duplicates) >= n;
  }, [index, count], { timeout, polling: 200 });
}

export async function msgTotal(device) {
  return Number(await device.el('msg-count').getAttribute('data-total'));
}

async function waitMsgTotal(device, n, timeout = 15_000) {
  const index = await device.root.getAttribute('data-index');
  await device.page.waitForFunction(([i, k]) => Number(document.querySelector(
    `[data-testid="device"][data-index="${i}"] [data-testid="msg-count"]`)?.dataset.total ?? 0) >= k, [index, n], { timeout });
}

async function waitFor(what, check, timeout, every = 100) {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** The texts of the device's `closed` moments: what the page said about each loss. */
async function closeTexts(device) {
  return (await timeline(device)).filter((n) => n.kind === 'closed').map((n) => n.text.replace(/^\S+ /, ''));
}

/** A scenario with the fault proxy started before and always stopped after. */
function withProxy(run) {
  return async (ctx) => {
    const proxy = await startFaultProxy(ctx.broker.ws);
    try {
      await run({ ...ctx, proxy });
    } finally {
      proxy.stop();
    }
  };
}

/** A config of extra global options for mosquitto; returns its path. */
export function conf(text) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-net-'));
  writeFileSync(path.join(dir, 'extra.conf'), `allow_anonymous true\n${text}`);
  return path.join(dir, 'extra.conf');
}

async function startProbes(tx, topic, count, intervalMs, qos = 1) {
  await tx.fill('pub-topic', topic);
  await tx.select('pub-qos', qos);
  await tx.fill('probe-count', count);
  await tx.fill('probe-interval-ms', intervalMs);
  await tx.click('probe-start');
}

function brokerCrashRestart(label, signal) {
  // broker/mosquitto.conf.in already has persistence true and autosave_interval 1.
  return {
    name: `network-broker-${label}-with-persistence-device-comes-back-with-what-was-published`,
    run: withProxy(async ({ page, broker, proxy }) => {
      // d0 reaches the broker through the proxy, which keeps it away while messages are published;
      // d1 is connected straight to the broker, so the restart itself takes it away.
      const d0 = new DevicePanel(page, 0);
      await d0.fill('broker-url', proxy.url);
      await d0.connect({ clientId: `${label}-away`, cleanSession: false });
      await d0.subscribe('restart/t', 1);
      const d1 = await addDevice(page, 1);
      await d1.fill('broker-url', broker.url);
      await d1.connect({ clientId: `${label}-on`, cleanSession: false });
      await d1.subscribe('restart/t', 1);

      await proxy.command('refuse on');
      await proxy.command('cut');
      await d0.waitState('reconnecting');
      for (const n of [1, 2, 3]) mqttPub(broker, 'restart/t', `before-${n}`, 1);
      await waitMsgTotal(d1, 3);
      // autosave_interval 1: after 2.5 s the queued messages are on disk even for a crash.
      await sleep(2_500);
      const down = Date.now();
      await restartBroker(broker, { signal, downMs: 1_000 });
      const up = Date.now();
      for (const n of [1, 2]) mqttPub(broker, 'restart/t', `after-${n}`, 1);
      await proxy.command('refuse off');
      const open = Date.now();
      // d1 lost its connection to the restart, d0 was kept away: both come back by themselves.
      const d1Back = waitTimeline(d1, 'connack', 2, 40_000).then(() => Date.now());
      const d0Back = waitTimeline(d0, 'connack', 2, 40_000).then(() => Date.now());
      await Promise.all([d1Back, d0Back]);
      assertEq(await d1.el('session-present').getAttribute('data-value'), '1', `${label}: d1 finds its session after the restart`);
      assertEq(await d0.el('session-present').getAttribute('data-value'), '1', `${label}: d0 finds its session after the restart`);
      await waitMsgTotal(d0, 5);
      await waitMsgTotal(d1, 5);
      const expected = ['before-1', 'before-2', 'before-3', 'after-1', 'after-2'];
      const rows0 = await d0.messageFacts();
      assertEq(rows0.map((m) => m.payload), expected, `${label}: d0 receives what was published while it was away, in order, once`);
      assert(rows0.every((m) => m.verdict === 'offline'), `${label}: each marked offline: ${rows0.map((m) => m.verdict)}`);
      const rows1 = await d1.messageFacts();
      assertEq(rows1.map((m) => m.payload), expected, `${label}: d1 receives the three before and the two after, once each`);
      const closed1 = await closeTexts(d1);
      assert(closed1.length >= 1, `${label}: d1's timeline shows the loss`);
      console.log(`     ${label} (${signal}): broker down ${up - down} ms; d1 back ${(await d1Back) - up} ms after the broker was up `
        + `(${await timelineCount(d1, 'reconnect')} reconnect attempts scheduled); d0 back ${(await d0Back) - open} ms after the proxy let it in; `
        + `d0 ${rows0.map((m) => `${m.payload}:${m.verdict}`).join(' ')}`);
      console.log(`     d1 timeline on the loss: ${[...new Set(closed1)].join(' | ')}`);
    }),
  };
}

export const scenarios = [
  {
    name: 'network-cut-mid-packet-during-qos1-stream-reconnects-and-redelivers-dup',
    run: withProxy(async ({ page, broker, proxy }) => {
      const total = 300;
      const rx = new DevicePanel(page, 0);
      await rx.fill('broker-url', proxy.url);
      await rx.connect({ clientId: 'cutmid-rx', cleanSession: false });
      await rx.subscribe('cutmid/probe', 1);
      const tx = await addDevice(page, 1);
      await tx.fill('broker-url', broker.url);
      await tx.connect({ clientId: 'cutmid-tx' });
      await startProbes(tx, 'cutmid/probe', total, 10);
      await waitMsgTotal(rx, 40);
      await proxy.command('cut-mid publish');
      const cut = await waitFor('the proxy to cut a PUBLISH in the middle', async () => (await proxy.stats()).cut_mid, 15_000);
      const seq = Number(/^ackscope-probe\/1 \S+ (\d+) /.exec(cut.payload)?.[1]);
      assert(seq > 0, `the cut frame is a probe: ${JSON.stringify(cut)}`);
      assertEq(cut.dup, false, 'the interrupted PUBLISH was a first delivery (DUP=0)');
      // Positive signal first: the device reconnects by itself (a second CONNACK).
      await waitTimeline(rx, 'connack', 2, 20_000);
      const reconnectMs = Date.now() - cut.at_ms;
      assertEq(await rx.el('session-present').getAttribute('data-value'), '1', 'Session Present = 1 after the cut');
      await tx.root.locator(`[data-testid="probe-progress"][data-sent="${total}"]`).waitFor({ timeout: 30_000 });
      await waitDistinctProbes(rx, total, 30_000);
      const [summary] = await probeSummary(rx);
      assertEq(summary.missing, 0, 'no probe missing');
      const rows = await exportMessages(rx);
      const seen = new Set(rows.map((m) => m.probeSeq));
      for (let n = 1; n <= total; n += 1) assert(seen.has(n), `probe ${n} arrived`);
      const interrupted = rows.filter((m) => m.probeSeq === seq);
      assertEq(interrupted.map((m) => [m.dup, m.verdict, m.certain]), [[true, 'redelivered', true]],
        `the interrupted probe #${seq} comes back once, DUP=1, redelivered`);
      const extra = rows.filter((m) => m.verdict === 'duplicate');
      assert(extra.every((m) => m.dup), 'every extra copy came with DUP=1');
      const closed = await closeTexts(rx);
      console.log(`     cut mid-frame: probe #${seq} (packet id ${cut.packet_id}), ${cut.forwarded_bytes_of_frame} of ${cut.frame_bytes} bytes of its frame forwarded; `
        + `reconnected with Session Present=1 ${reconnectMs} ms after the cut; ${rows.length} rows for ${total} probes: `
        + `${rows.filter((m) => m.verdict === 'redelivered').length} redelivered, ${extra.length} duplicate (already seen, DUP=1), missing ${summary.missing}`);
      console.log(`     timeline on the cut: ${closed.join(' | ')}`);
    }),
  },
  {
    name: 'network-blackhole-keepalive-notices-then-heals-and-delivers',
    run: withProxy(async ({ page, broker, proxy }) => {
      const keepalive = 2;
      const rx = new DevicePanel(page, 0);
      await rx.fill('broker-url', proxy.url);
      await rx.connect({ clientId: 'blackhole-rx', cleanSession: false, keepalive });
      await rx.subscribe('bh/t', 1);
      mqttPub(broker, 'bh/t', 'before', 1);
      await waitMsgTotal(rx, 1);
      await proxy.command('blackhole on');
      const t0 = Date.now();
      for (const n of [1, 2, 3]) mqttPub(broker, 'bh/t', `dark-${n}`, 1);
      // The page sends PINGREQ after keepalive idle and gives up 10 s (its ping timeout) later.
      await rx.root.locator('[data-testid="conn-state"]:not([data-state="connected"])').waitFor({ timeout: 30_000 });
      const noticedMs = Date.now() - t0;
      const closed = await closeTexts(rx);
      assert(closed.some((t) => t.includes('No PINGRESP in time')), `the timeline says why: ${closed}`);
      const error = await rx.el('device-error').textContent();
      assert(error.includes('PINGRESP'), `the device shows why: ${error}`);
      for (const n of [4, 5]) mqttPub(broker, 'bh/t', `away-${n}`, 1);
      // Its reconnect goes into the blackhole and waits (held at the proxy, as a SYN would).
      await waitFor('a reconnect attempt into the blackhole', async () => (await proxy.stats()).accepted >= 2, 20_000);
      const healed = await proxy.command('blackhole off');
      const t1 = Date.now();
      await waitTimeline(rx, 'connack', 2, 20_000);
      const backMs = Date.now() - t1;
      assertEq(await rx.el('session-present').getAttribute('data-value'), '1', 'Session Present = 1 after the blackhole');
      await waitMsgTotal(rx, 6);
      const rows = await rx.messageFacts();
      assertEq(rows.map((m) => m.payload), ['before', 'dark-1', 'dark-2', 'dark-3', 'away-4', 'away-5'],
        'everything published during the blackhole arrives, once, in order');
      assert(rows.slice(1).every((m) => ['redelivered', 'offline'].includes(m.verdict)), `verdicts: ${rows.map((m) => m.verdict)}`);
      console.log(`     blackhole (keepalive ${keepalive} s, ping timeout 10 s): noticed ${noticedMs} ms after it began `
        + `(bound ${keepalive * 1000 + 10_000} ms); back ${backMs} ms after the heal (${JSON.stringify(healed)}); `
        + `${rows.slice(1).map((m) => `${m.payload}:${m.verdict}${m.dup === '1' ? '/DUP' : ''}`).join(' ')}`);
      console.log(`     timeline: ${closed.join(' | ')}`);
      assert(noticedMs >= 9_000, `not before the ping timeout: ${noticedMs} ms`);
      assert(noticedMs <= keepalive * 1000 + 10_000 + 5_000, `within keepalive + ping timeout (+5 s for a loaded machine): ${noticedMs} ms`);
    }),
  },
  brokerCrashRestart('restart', 'SIGTERM'),
  brokerCrashRestart('crash', 'SIGKILL'),
  {
    name: 'network-refused-backoff-with-jitter-and-countdown-no-storm',
    run: withProxy(async ({ page, proxy }) => {
      // Two devices lose their connection at the same moment and are refused: each backs off
      // on its own jittered schedule (not in step), with a visible countdown, and no storm.
      const devices = [new DevicePanel(page, 0), await addDevice(page, 1)];
      for (const [i, d] of devices.entries()) {
        await d.fill('broker-url', proxy.url);
        await d.connect({ clientId: `refuse-${i}`, cleanSession: false });
      }
      await proxy.command('refuse on');
      await proxy.command('reset');
      await proxy.command('cut');
      const t0 = Date.now();
      for (const d of devices) await d.waitState('reconnecting');
      // A visible countdown that moves.
      const secs = (t) => Number(/reconnecting in ([\d.]+)/.exec(t)?.[1]);
      const first = await devices[0].el('conn-state').textContent();
      assert(secs(first) > 0, `a countdown is shown: "${first}"`);
      await page.waitForFunction((from) => {
        const t = document.querySelector('[data-testid="device"][data-index="0"] [data-testid="conn-state"]').textContent;
        const m = /reconnecting in ([\d.]+)/.exec(t);
        return m !== null && Number(m[1]) < from;
      }, secs(first), { timeout: 5_000 });
      // Window: 12 s of refusals. Each device's attempts are due ~1, ~3, ~7 (then ~15) s after the cut.
      const windowMs = 12_000;
      await waitFor('three refused attempts per device', async () => (await proxy.stats()).refused >= 6, windowMs + 8_000);
      await sleep(Math.max(0, t0 + windowMs - Date.now()));
      const stats = await proxy.stats();
      const attempts = stats.refused_times.filter((t) => t <= t0 + windowMs).map((t) => t - t0);
      const planned = [];
      for (const d of devices) {
        planned.push((await timeline(d)).filter((n) => n.kind === 'reconnect').map((n) => Number(/in ([\d.]+) s/.exec(n.text)?.[1])));
      }
      console.log(`     refused: ${attempts.length} connection attempts from 2 devices in ${windowMs} ms, at +${attempts.join(', +')} ms; `
        + `planned delays (s): device 0 ${planned[0].join(', ')}; device 1 ${planned[1].join(', ')}`);
      assert(attempts.length >= 6 && attempts.length <= 8, `no storm: 3 or 4 attempts per device in ${windowMs} ms, not ${attempts.length} for two`);
      for (const p of planned) {
        assert(p.length >= 4, `four delays planned by now: ${p}`);
        p.slice(0, 4).forEach((x, k) => assert(x >= 0.75 * 2 ** k - 0.05 && x <= 1.25 * 2 ** k + 0.05,
          `delay ${k + 1} is ${2 ** k} s +-25%: ${x} s`));
      }
      assert(planned[0].slice(0, 4).some((x, k) => Math.abs(x - planned[1][k]) >= 0.1), `jitter: the two devices do not retry in step: ${planned[0]} vs ${planned[1]}`);
      const closed = await closeTexts(devices[0]);
      assert(closed.some((t) => t.includes('Could not open the WebSocket')), `the refusals are told as such: ${[...new Set(closed)]}`);
      console.log(`     timeline: ${[...new Set(closed)].join(' | ')}`);
      await proxy.command('refuse off');
      for (const d of devices) {
        await waitTimeline(d, 'connack', 2, 30_000);
        assertEq(await d.el('session-present').getAttribute('data-value'), '1', 'back with its session once accepted');
      }
    }),
  },
  {
    name: 'network-browser-offline-4s-silent-at-once-back-within-1s-nothing-lost',
    async run({ page, broker }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'offline-rx', cleanSession: false, keepalive: 30 });
      await rx.subscribe('offline/t', 1);
      mqttPub(broker, 'offline/t', 'before', 1);
      await waitMsgTotal(rx, 1);
      // Clocks in the page: when the events fire and when the device's state changes.
      await page.evaluate(() => {
        const w = window;
        w.__net = { states: [] };
        w.addEventListener('offline', () => { w.__net.offlineAt = performance.now(); });
        w.addEventListener('online', () => { w.__net.onlineAt = performance.now(); });
        const el = document.querySelector('[data-testid="device"][data-index="0"] [data-testid="conn-state"]');
        new MutationObserver(() => w.__net.states.push([el.dataset.state, performance.now()]))
          .observe(el, { attributes: true, attributeFilter: ['data-state'] });
      });
      const context = page.context();
      await context.setOffline(true);
      await rx.waitState('silent', 2_000);
      for (const n of [1, 2, 3]) mqttPub(broker, 'offline/t', `during-${n}`, 1);
      await sleep(4_000);
      await context.setOffline(false);
      await rx.waitState('connected', 5_000);
      const net = await page.evaluate(() => window.__net);
      const silentAt = net.states.find(([s, t]) => s === 'silent' && t >= net.offlineAt)?.[1];
      const connectedAt = net.states.find(([s, t]) => s === 'connected' && t >= net.onlineAt)?.[1];
      const silentMs = silentAt - net.offlineAt;
      const backMs = connectedAt - net.onlineAt;
      assertEq(await rx.el('session-present').getAttribute('data-value'), '1', 'the session is taken over');
      mqttPub(broker, 'offline/t', 'after', 1);
      await waitFor('every message after the takeover', async () => {
        const live = (await rx.messageFacts()).filter((m) => !m.dead).map((m) => m.payload);
        return ['before', 'during-1', 'during-2', 'during-3', 'after'].every((p) => live.includes(p));
      }, 15_000);
      await waitTimeline(rx, 'takeover', 1, 15_000);
      const rows = await rx.messageFacts();
      const kinds = (await timeline(rx)).map((n) => n.kind);
      for (const k of ['network-down', 'network-up', 'takeover']) assert(kinds.includes(k), `the timeline notes ${k}: ${kinds}`);
      console.log(`     browser offline 4 s: silent ${silentMs.toFixed(0)} ms after offline; online -> connected (CONNACK) ${backMs.toFixed(0)} ms; `
        + `rows ${rows.map((m) => `${m.payload}:${m.verdict}${m.dup === '1' ? '/DUP' : ''}${m.dead ? '/dead' : ''}`).join(' ')}`);
      assert(silentMs < 500, `silent at once: ${silentMs} ms`);
      assert(backMs < 1_000, `reconnected within 1 s of online: ${backMs} ms`);
      const live = rows.filter((m) => !m.dead);
      assertEq(live.map((m) => m.payload), ['before', 'during-1', 'during-2', 'during-3', 'after'], 'nothing lost, nothing twice outside the dead connection');
    },
  },
];
