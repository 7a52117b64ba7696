// Diagnostics provoked through the page against mosquitto; each seen as a diag-finding.
import { assert, mqttPub } from './harness.mjs';
import { DevicePanel } from './page.mjs';

async function finding(page, rule, timeout = 10_000) {
  const row = page.locator(`[data-testid="diag-finding"][data-rule="${rule}"]`).first();
  await row.waitFor({ timeout });
  return row;
}

async function two(page) {
  await page.locator('[data-testid="device-add"]').click();
  const tx = new DevicePanel(page, 1);
  await tx.root.waitFor();
  return [new DevicePanel(page, 0), tx];
}

export const scenarios = [
  {
    name: 'diag-clean-session',
    async run({ page }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'diag-clean', cleanSession: true });
      await rx.subscribe('diag/t', 1);
      const row = await finding(page, 'clean-session');
      // A live view loses nothing while it is connected: advice, not a warning.
      assert((await row.getAttribute('data-severity')) === 'info', 'info');
    },
  },
  {
    name: 'diag-qos0-publish',
    async run({ page }) {
      const [rx, tx] = await two(page);
      await rx.connect({ clientId: 'diag-q0-rx', cleanSession: false });
      await rx.subscribe('diag/q0', 1);
      await rx.click('drop');
      await rx.waitState('disconnected');
      await tx.connect({ clientId: 'diag-q0-tx' });
      await tx.publish('diag/q0', 'lost', 0);
      assert((await (await finding(page, 'qos0-publish')).getAttribute('data-severity')) === 'warning', 'a warning while the receiver is away');
      await rx.click('connect');
      await rx.waitState('connected');
      await page.locator('[data-testid="diag-finding"][data-rule="qos0-publish"][data-severity="error"]').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'diag-session-lost',
    async run({ page }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'diag-lost', cleanSession: false });
      await rx.click('disconnect');
      await rx.waitState('disconnected');
      await rx.connect({ cleanSession: true }); // wipes the stored session
      await rx.click('disconnect');
      await rx.waitState('disconnected');
      await rx.connect({ cleanSession: false });
      await finding(page, 'session-lost');
    },
  },
  {
    name: 'diag-published-before-subscribe',
    async run({ page }) {
      const [rx, tx] = await two(page);
      await tx.connect({ clientId: 'diag-pbs-tx' });
      await tx.publish('diag/pbs', 'too early', 1);
      await rx.connect({ clientId: 'diag-pbs-rx', cleanSession: false });
      await rx.subscribe('diag/pbs', 1);
      await finding(page, 'published-before-subscribe');
    },
  },
  {
    name: 'diag-ack-timeout-pending',
    async run({ page, broker }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'diag-atp', cleanSession: false });
      await rx.subscribe('diag/atp', 1);
      await rx.click('go-silent');
      await rx.waitState('silent');
      // The clock runs for what the broker pushed into the dead connection.
      mqttPub(broker, 'diag/atp', 'pushed', 1);
      await rx.waitMessages(1);
      const row = await finding(page, 'ack-timeout-pending');
      const left = Number(await row.getAttribute('data-remaining-ms'));
      assert(left > 0 && left <= 10_000, `with the countdown: ${left}`);
    },
  },
  {
    name: 'diag-client-id-conflict',
    async run({ page }) {
      const [a, b] = await two(page);
      await a.connect({ clientId: 'diag-twin', cleanSession: false });
      await b.connect({ clientId: 'diag-twin', cleanSession: false });
      await finding(page, 'client-id-conflict', 15_000);
      await a.click('disconnect');
      await b.click('disconnect');
    },
  },
  {
    name: 'diag-topic-mismatch',
    async run({ page, screenshot }) {
      const [rx, tx] = await two(page);
      await rx.connect({ clientId: 'diag-tm-rx', cleanSession: false });
      await rx.subscribe('diag/notice', 1);
      await tx.connect({ clientId: 'diag-tm-tx' });
      await tx.publish('diag/notice/', 'trailing slash', 1);
      const row = await finding(page, 'topic-mismatch');
      assert((await row.textContent()).includes('diag/notice'), 'names the closest filter');
      await screenshot('diagnostics');
    },
  },
];
