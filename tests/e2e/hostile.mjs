// A hostile broker (scripts/hostile-broker.py) against the page: every case leaves the page
// usable, with a clear message, and no panic (run.mjs fails a scenario whose page panicked).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { assert, assertEq, freePort, root } from './harness.mjs';
import { DevicePanel } from './page.mjs';

async function startHostile() {
  const port = await freePort();
  const proc = spawn('python3', [path.join(root, 'scripts/hostile-broker.py'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.stdout.once('data', resolve);
    proc.once('exit', (code) => reject(new Error(`hostile broker exited with ${code}`)));
  });
  return { url: (mode) => `ws://127.0.0.1:${port}/${mode}`, stop: () => proc.kill() };
}

/** Connects device 0 to the hostile broker's `mode` and returns it. */
async function against(page, hostile, mode) {
  const d = new DevicePanel(page, 0);
  await d.fill('broker-url', hostile.url(mode));
  await d.fill('client-id', `hostile-${mode}`);
  await d.click('connect');
  return d;
}

function timeline(page, text) {
  return page.locator(`[data-testid="timeline-entry"]:has-text(${JSON.stringify(text)})`).first();
}

/** The page still answers a user: switching the language re-renders at once. */
async function stillUsable(page) {
  await page.locator('[data-testid="lang"]').selectOption('zh-CN');
  await page.locator('[data-testid="device-add"]:has-text("添加设备")').waitFor({ timeout: 5_000 });
  await page.locator('[data-testid="lang"]').selectOption('en');
}

async function withHostile(run) {
  const hostile = await startHostile();
  try { await run(hostile); } finally { hostile.stop(); }
}

export const scenarios = [
  {
    name: 'hostile-garbage-and-oversize-are-protocol-errors-with-their-reason',
    async run({ page }) {
      await withHostile(async (hostile) => {
        const d = await against(page, hostile, 'garbage');
        await timeline(page, 'Protocol error').waitFor();
        await d.click('disconnect');
        await d.waitState('disconnected');
        await d.fill('broker-url', hostile.url('oversize'));
        await d.click('connect');
        await timeline(page, 'more than the 16777216-byte limit').waitFor();
        await d.click('disconnect');
        await stillUsable(page);
      });
    },
  },
  {
    name: 'hostile-second-connack-and-short-suback-close-with-a-reason',
    async run({ page }) {
      await withHostile(async (hostile) => {
        const d = await against(page, hostile, 'second-connack');
        await timeline(page, 'the broker sent CONNACK').waitFor();
        await d.click('disconnect');
        await d.waitState('disconnected');
        await d.fill('broker-url', hostile.url('short-suback'));
        await d.fill('sub-topic', 'hostile/t');
        await d.click('subscribe');
        await d.click('connect');
        await timeline(page, 'SUBACK carries 0 return code(s) for 1 filter(s)').waitFor();
        await d.click('disconnect');
        await stillUsable(page);
      });
    },
  },
  {
    name: 'hostile-pubrel-for-an-unknown-id-is-completed-and-the-connection-stays',
    async run({ page }) {
      await withHostile(async (hostile) => {
        const d = await against(page, hostile, 'unknown-pubrel');
        // The packet log may be folded: the row exists whether or not it is shown.
        await d.root.locator('[data-testid="packet-row"][data-dir="in"][data-type="PUBREL"]').first().waitFor({ state: 'attached' });
        await d.root.locator('[data-testid="packet-row"][data-dir="out"][data-type="PUBCOMP"]').first().waitFor({ state: 'attached' });
        assertEq(await d.state(), 'connected', 'PUBREL for an unknown id is answered, not fatal (MQTT 3.1.1 4.3.3)');
      });
    },
  },
  {
    name: 'hostile-poison-message-stops-the-reconnect-loop-after-five-failures',
    async run({ page }) {
      await withHostile(async (hostile) => {
        const d = await against(page, hostile, 'poison');
        // Backoff 1, 2, 4, 8 s (+-25%) between the five failures: about 15 s.
        await timeline(page, 'Automatic reconnect stopped after the same failure 5 times').waitFor({ timeout: 40_000 });
        await d.waitState('disconnected');
        const connects = await d.root.locator('[data-testid="packet-row"][data-dir="out"][data-type="CONNECT"]').count();
        assertEq(connects, 5, 'five connects, then it stops');
        await stillUsable(page);
      });
    },
  },
  {
    name: 'hostile-flood-of-20000-messages-is-counted-and-the-page-answers',
    async run({ page }) {
      await withHostile(async (hostile) => {
        const d = await against(page, hostile, 'flood');
        await d.waitState('connected');
        await d.fill('sub-topic', 'flood/t');
        await d.select('sub-qos', 0);
        await d.click('subscribe');
        await d.root.locator('[data-testid="msg-count"][data-total="20001"]').waitFor({ timeout: 60_000 });
        await stillUsable(page);
        const last = await d.root.locator('[data-testid="msg-row"]').last().locator('[data-testid="msg-payload"]').textContent();
        assert(last.includes('flood done'), `the newest row is the last message: ${last}`);
      });
    },
  },
];
