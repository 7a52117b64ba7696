// The truth rules provoked through the page against mosquitto. Each negative check waits for a
// positive signal first (a message shown, a state reached), so that "no finding" is not just
// "not computed yet".
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq, freePort, mqttPub, root } from './harness.mjs';
import { DevicePanel } from './page.mjs';

const findingSel = (rule, severity) =>
  `[data-testid="diag-finding"][data-rule="${rule}"]${severity ? `[data-severity="${severity}"]` : ''}`;

async function finding(page, rule, { severity, timeout = 10_000 } = {}) {
  const row = page.locator(findingSel(rule, severity)).first();
  await row.waitFor({ timeout });
  return row;
}

async function rules(page) {
  return page.locator('[data-testid="diag-finding"]').evaluateAll((rows) => rows.map((r) => r.dataset.rule));
}

async function two(page) {
  await page.locator('[data-testid="device-add"]').click();
  const tx = new DevicePanel(page, 1);
  await tx.root.waitFor();
  return [new DevicePanel(page, 0), tx];
}

/** A file of global mosquitto options. */
function conf(text) {
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-truth-'));
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'truth.conf');
    writeFileSync(file, `allow_anonymous true\n${text}\n`);
    chmodSync(file, 0o644);
    return file;
  };
}

/** scripts/hostile-broker.py: the faults a real broker does not make, by URL path. */
async function startHostile() {
  const port = await freePort();
  const proc = spawn('python3', [path.join(root, 'scripts/hostile-broker.py'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.stdout.once('data', resolve);
    proc.once('exit', (code) => reject(new Error(`hostile broker exited with ${code}`)));
  });
  return { url: (mode) => `ws://127.0.0.1:${port}/${mode}`, stop: () => proc.kill() };
}

export const scenarios = [
  {
    // mosquitto keeps the oldest max_queued_messages and drops the newest: a loss at the
    // tail, which only the sender's count can show.
    name: 'truth-probe-gap-at-the-tail',
    brokerConf: conf('max_queued_messages 10'),
    async run({ page }) {
      const [rx, tx] = await two(page);
      await rx.connect({ clientId: 'truth-pg-rx', cleanSession: false });
      await rx.subscribe('truth/pg', 1);
      await rx.click('drop');
      await rx.waitState('disconnected');
      await tx.connect({ clientId: 'truth-pg-tx' });
      await tx.fill('pub-topic', 'truth/pg');
      await tx.select('pub-qos', 1);
      await tx.fill('probe-count', 15);
      await tx.fill('probe-interval-ms', 20);
      await tx.click('probe-start');
      await tx.root.locator('[data-testid="probe-progress"][data-sent="15"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="device"][data-index="1"] [data-testid="inflight-row"]').length === 0);
      await rx.click('connect');
      await rx.waitState('connected');
      // At the cap mosquitto's count varies by one (reference/brokers.md): 9 to 11 kept.
      await rx.waitMessages(9);
      // Not called lost before the replay had time to finish.
      assert(!(await rules(page)).includes('probe-gap'), 'no probe-gap while the replay may still run');
      const row = await finding(page, 'probe-gap', { severity: 'error', timeout: 20_000 });
      const text = await row.textContent();
      assert(/lost at the tail: #1[012] to #15/.test(text), `the tail is named: ${text}`);
      assert(text.includes('offline queue limit'), `the likely cause is named: ${text}`);
      assertEq(await row.getAttribute('data-device'), '0', 'on the receiver');
    },
  },
  {
    name: 'truth-retained-replay',
    async run({ page }) {
      const [rx, tx] = await two(page);
      await rx.connect({ clientId: 'truth-rr-rx', cleanSession: false });
      await rx.subscribe('truth/cfg', 1);
      await tx.connect({ clientId: 'truth-rr-tx' });
      await tx.check('pub-retain', true);
      await tx.publish('truth/cfg', 'v1', 1);
      await rx.waitMessages(1);
      assert(!(await rules(page)).includes('retained-replay'), 'the first delivery is no replay');
      await rx.click('disconnect');
      await rx.waitState('disconnected');
      await rx.click('connect');
      await rx.waitState('connected');
      // The resubscribe after CONNACK makes mosquitto send the retained copy again.
      await rx.waitMessages(2);
      const facts = await rx.messageFacts();
      assertEq(facts[facts.length - 1].retain, '1', 'the copy carries RETAIN=1');
      assertEq(await (await finding(page, 'retained-replay')).getAttribute('data-severity'), 'info', 'advice');
    },
  },
  {
    name: 'truth-overlapping-subscriptions',
    async run({ page }) {
      const [rx, tx] = await two(page);
      await rx.connect({ clientId: 'truth-ov-rx', cleanSession: false });
      await rx.subscribe('truth/ov/#', 1);
      await tx.connect({ clientId: 'truth-ov-tx' });
      await tx.publish('truth/ov/a', 'one filter', 1);
      await rx.waitMessages(1);
      assert(!(await rules(page)).includes('overlapping-subscriptions'), 'one filter, no overlap');
      await rx.subscribe('truth/ov/a', 1);
      await tx.publish('truth/ov/a', 'two filters', 1);
      await rx.waitMessages(2);
      const row = await finding(page, 'overlapping-subscriptions');
      const text = await row.textContent();
      assert(text.includes('truth/ov/#') && text.includes('truth/ov/a'), `names both filters: ${text}`);
    },
  },
  {
    // Pushed into the dead connection, back with DUP=1 when the device takes its session over:
    // the ack clock is gone (mosquitto resent at once), the delay is explained.
    name: 'truth-late-after-silence',
    async run({ page, broker }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'truth-late', cleanSession: false, keepalive: 30 });
      await rx.subscribe('truth/late', 1);
      await rx.click('go-silent');
      await rx.waitState('silent');
      mqttPub(broker, 'truth/late', 'pushed', 1);
      await rx.waitMessages(1);
      await finding(page, 'ack-timeout-pending');
      await rx.click('connect');
      await rx.waitState('connected');
      await rx.waitMessages(2);
      const row = await finding(page, 'late-after-silence');
      const text = await row.textContent();
      assert(text.includes('30 s here'), `the keepalive is named: ${text}`);
      assert(!(await rules(page)).includes('ack-timeout-pending'), 'no clock once it came back');
      assert(!(await rules(page)).includes('client-id-conflict'), 'a takeover is no conflict');
    },
  },
  {
    // The same malformed PUBLISH on every connect (a message the client cannot take, which
    // the broker redelivers): the same failure after each connect, not the network.
    // (mosquitto 2.0.11 does not close a WebSocket client for a packet over max_packet_size,
    // so a real broker cannot provoke this here.)
    name: 'truth-reconnect-loop',
    async run({ page }) {
      const hostile = await startHostile();
      try {
        const d = new DevicePanel(page, 0);
        await d.fill('broker-url', hostile.url('poison'));
        await d.fill('client-id', 'truth-loop');
        await d.click('connect');
        // Backoff 1 s then 2 s (+-25%): the third failure within about 5 s.
        const row = await finding(page, 'reconnect-loop', { timeout: 20_000 });
        assertEq(await row.getAttribute('data-severity'), 'error', 'an error');
        const text = await row.textContent();
        assert(text.includes('times in a row'), `the count: ${text}`);
        assert(!(await rules(page)).includes('client-id-conflict'), 'not blamed on another client');
        await d.click('disconnect');
      } finally {
        hostile.stop();
      }
    },
  },
];
