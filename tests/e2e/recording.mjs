// Recordings: the seed flow with an Alibaba-signed receiver, exported, kept across a reload,
// reopened read-only from the browser's store and from the file: the same rows and findings;
// a report for a ticket; the journey of a probe that waited in the broker.
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq } from './harness.mjs';
import { DevicePanel } from './page.mjs';

const AK = 'LTAI-rec-key';
const SECRET = 'rec-access-key-secret-value';
const INSTANCE = 'post-cn-rec';
const RX_ID = 'GID_rec@@@rx1';
const RX_PASSWORD = createHmac('sha1', SECRET).update(RX_ID).digest('base64');
// The sender types a password that is not a signature under a Signature|... username: the
// `auth-shape` rule, whose inputs are secrets, says so.
const TX_USER = `Signature|LTAI-tx-key|${INSTANCE}`;
const TX_PASSWORD = 'typed-tx-password-not-a-signature';

function brokerConf() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-rec-'));
  chmodSync(dir, 0o755);
  const passwd = path.join(dir, 'passwd');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwd, `Signature|${AK}|${INSTANCE}`, RX_PASSWORD]);
  execFileSync('mosquitto_passwd', ['-b', passwd, TX_USER, TX_PASSWORD]);
  chmodSync(passwd, 0o644);
  const conf = path.join(dir, 'auth.conf');
  writeFileSync(conf, `allow_anonymous false\npassword_file ${passwd}\n`);
  return conf;
}

const secrets = [SECRET, RX_PASSWORD, TX_PASSWORD];
function assertNoSecrets(text, what) {
  for (const s of secrets) assert(!text.includes(s), `${what} holds no secret (${s.slice(0, 6)}…)`);
}

async function findings(page) {
  return page.locator('[data-testid="diag-finding"]').evaluateAll((rows) => rows.map((r) => `${r.dataset.device}:${r.dataset.rule}:${r.dataset.severity}`));
}

/** What the page shows of every device: rows, packets, state, summaries. */
async function facts(page) {
  return page.locator('[data-testid="device"]').evaluateAll((devices) => devices.map((d) => ({
    index: d.dataset.index,
    state: d.querySelector('[data-testid="conn-state"]')?.dataset.state,
    sessionPresent: d.querySelector('[data-testid="session-present"]')?.dataset.value,
    messages: [...d.querySelectorAll('[data-testid="msg-row"]')].map((r) => [r.dataset.topic, r.dataset.qos, r.dataset.verdict, r.dataset.dup, r.dataset.probeSeq,
      r.querySelector('[data-testid="msg-payload"]').textContent, r.querySelector('.latency')?.dataset.latencyMs ?? null]),
    packets: [...d.querySelectorAll('[data-testid="packet-row"]')].map((r) => `${r.dataset.dir} ${r.dataset.type}`),
    subs: [...d.querySelectorAll('[data-testid="sub-row"]')].map((r) => `${r.dataset.topic} ${r.dataset.qos} ${r.dataset.granted}`),
    probes: [...d.querySelectorAll('[data-testid="probe-summary"]')].map((r) => `${r.dataset.series} ${r.dataset.received} ${r.dataset.missing} ${r.dataset.duplicates}`),
    timeline: [...d.querySelectorAll('[data-testid="timeline-entry"]')].map((r) => r.dataset.kind),
  })));
}

async function mode(page) {
  return page.locator('[data-testid="page-mode"]').getAttribute('data-mode');
}

/** The journey of `value` (a journey-pick option): [lane, kind] per step. */
async function journey(page, value) {
  await page.locator('[data-testid="journey-pick"]').selectOption(value);
  await page.locator('[data-testid="journey"] [data-testid="journey-step"]').first().waitFor();
  return page.locator('[data-testid="journey-step"]').evaluateAll((steps) => steps.map((s) => [s.dataset.lane, s.dataset.kind]));
}

/** Events the browser store holds for the most recently written run. */
async function storedEvents(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('ackscope-recordings');
    req.onerror = () => resolve(-1);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('runs')) { db.close(); resolve(0); return; }
      const all = db.transaction('runs').objectStore('runs').getAll();
      all.onsuccess = () => { db.close(); resolve(Math.max(0, ...all.result.map((r) => r.events))); };
      all.onerror = () => { db.close(); resolve(-1); };
    };
  }));
}

/** The received count a device's message list shows. */
async function total(page, index) {
  return Number(await page.locator(`[data-testid="device"][data-index="${index}"] [data-testid="msg-count"]`).getAttribute('data-total'));
}

export const scenarios = [
  {
    name: 'recording-export-reload-restore-open-report-and-journey',
    brokerConf,
    async run({ page, screenshot }) {
      assertEq(await mode(page), 'live', 'the page starts live');
      const rx = new DevicePanel(page, 0);
      await page.locator('[data-testid="device-add"]').click();
      const tx = new DevicePanel(page, 1);
      await tx.root.waitFor();

      // Receiver: Alibaba-signed, persistent, subscribed at QoS 1, then gone.
      await rx.select('auth-mode', 'aliyun-signature');
      await rx.fill('access-key-id', AK);
      await rx.fill('access-key-secret', SECRET);
      await rx.fill('instance-id', INSTANCE);
      await rx.connect({ clientId: RX_ID, cleanSession: false });
      assertEq(await rx.subscribe('rec/probe', 1), '1', 'granted QoS 1');
      await rx.click('drop');
      await rx.waitState('disconnected');

      // Sender: a typed password, a subscription on a clean session, five probes at QoS 1.
      await tx.select('auth-mode', 'password');
      await tx.fill('username', TX_USER);
      await tx.fill('password', TX_PASSWORD);
      await tx.connect({ clientId: 'rec-tx' });
      await tx.subscribe('rec/echo', 1);
      await tx.sendProbes('rec/probe', 5, 50);

      // The receiver returns: Session Present = 1, the five come back offline.
      await rx.click('connect');
      await rx.waitState('connected');
      await rx.waitMessages(5);
      // The return's SUBSCRIBE is answered after the stored messages: the live facts are read
      // once its SUBACK is on screen (renders are paced, so it may come a frame or two later).
      await page.waitForFunction(() => document.querySelectorAll(
        '[data-testid="device"][data-index="0"] [data-testid="packet-row"][data-dir="in"][data-type="SUBACK"]').length >= 2);
      await page.locator('[data-testid="diag-finding"][data-rule="auth-shape"]').waitFor();
      await page.locator('[data-testid="diag-finding"][data-rule="clean-session"]').waitFor();
      const series = await rx.el('probe-summary').getAttribute('data-series');
      const live = await facts(page);
      const liveFindings = await findings(page);
      assertEq(live[0].messages.map((m) => [m[2], m[4]]), [1, 2, 3, 4, 5].map((n) => ['offline', String(n)]), 'five offline probes, live');

      // The journey of probe 1: published, held by the broker, CONNACK, delivered, acked.
      const steps = await journey(page, `probe:${series}:1`);
      const at = (lane, kind) => steps.findIndex(([l, k]) => l === lane && k === kind);
      for (const [lane, kind] of [['1', 'PUBLISH'], ['1', 'PUBACK'], ['0', 'away'], ['broker', 'held'], ['0', 'CONNACK'], ['0', 'PUBLISH'], ['0', 'PUBACK']]) {
        assert(at(lane, kind) >= 0, `the journey has ${kind} on lane ${lane}: ${JSON.stringify(steps)}`);
      }
      assert(at('broker', 'held') < at('0', 'CONNACK') && at('0', 'CONNACK') < at('0', 'PUBLISH') && at('0', 'PUBLISH') < at('0', 'PUBACK'),
        `held, then CONNACK, then the delivery and its ack: ${JSON.stringify(steps)}`);
      const held = page.locator('[data-testid="journey-step"][data-kind="held"]');
      assert(Number(await held.getAttribute('data-until')) > Number(await held.getAttribute('data-at')), 'the broker held it for a while');
      assert((await page.locator('[data-testid="journey-step"][data-lane="0"][data-kind="CONNACK"]').getAttribute('aria-label')).includes('Session Present = 1'), 'the CONNACK says Session Present = 1');
      // Keyboard: the steps are in the tab order.
      await page.locator('[data-testid="journey-step"]').first().focus();
      await page.keyboard.press('Tab');
      assertEq(await page.evaluate(() => document.activeElement?.dataset.testid), 'journey-step', 'Tab moves from step to step');
      await screenshot('recording-journey');

      // Export: gzip JSON, versioned, no secrets.
      const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-rec-files-'));
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="recording-export"]').click()]);
      const name = download.suggestedFilename();
      assert(/\.ackscope\.json(\.gz)?$/.test(name), `named .ackscope.json(.gz): ${name}`);
      const file = path.join(dir, name);
      await download.saveAs(file);
      const raw = await readFile(file);
      const isGzip = raw[0] === 0x1f && raw[1] === 0x8b;
      assert(isGzip === name.endsWith('.gz'), 'gzip where the name says so');
      const text = (isGzip ? gunzipSync(raw) : raw).toString('utf8');
      const rec = JSON.parse(text);
      assertEq(rec.format, 'ackscope-recording/1', 'versioned');
      assertEq(rec.devices.map((d) => d.settings.clientId), [RX_ID, 'rec-tx'], 'both devices');
      assert(rec.devices[0].events.some((e) => e.Connected?.session_present === true), 'the events, with the CONNACK of the return');
      assertNoSecrets(text, 'the recording');

      // A report for a ticket: the findings with their evidence, no secrets.
      const [md] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="report-export"]').click()]);
      const report = await readFile(await md.path(), 'utf8');
      for (const needle of ['auth-shape', 'clean-session', series, 'Session Present=1', RX_ID]) {
        assert(report.includes(needle), `the report holds ${needle}`);
      }
      assertNoSecrets(report, 'the report');
      const [htmlDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="report-export-html"]').click()]);
      const html = await readFile(await htmlDl.path(), 'utf8');
      assert(html.startsWith('<!doctype html>') && html.includes('auth-shape') && !html.includes('<script'), 'the HTML report: the same content, no script');
      assertNoSecrets(html, 'the HTML report');

      // The browser's store has caught up with the page: then reload.
      const kept = Number(/(\d+)/.exec(await page.locator('[data-testid="page-mode"]').textContent())[1]);
      // Polled from here: page.evaluate awaits the store's answer (an async predicate in
      // waitForFunction was seen to pass before the store had caught up).
      const storedEvents = () => page.evaluate(() => new Promise((resolve) => {
        const req = indexedDB.open('ackscope-recordings');
        req.onsuccess = () => {
          const all = req.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => { req.result.close(); resolve(Math.max(0, ...all.result.map((r) => r.events))); };
        };
        req.onerror = () => resolve(-1);
      }));
      const deadline = Date.now() + 20_000;
      let seen = await storedEvents();
      while (seen < kept && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        seen = await storedEvents();
      }
      assert(seen >= kept, `the browser's store caught up with the page: ${seen} of ${kept} events`);
      const stored = await page.evaluate(() => new Promise((resolve) => {
        const req = indexedDB.open('ackscope-recordings');
        req.onsuccess = () => {
          const tx = req.result.transaction(['lines', 'runs']);
          const lines = tx.objectStore('lines').getAll();
          const runs = tx.objectStore('runs').getAll();
          tx.oncomplete = () => { req.result.close(); resolve(JSON.stringify([lines.result, runs.result])); };
        };
      }));
      assertNoSecrets(stored, 'the browser store');

      await page.reload();
      await page.locator('[data-testid="device"][data-index="0"]').waitFor();
      await page.locator('[data-testid="recording-restore"]').click();
      await page.locator('[data-testid="page-mode"][data-mode="recording"]').waitFor();
      await page.locator('[data-testid="device"][data-index="0"] [data-testid="msg-row"]').nth(4).waitFor();
      const restored = await facts(page);
      assertEq(restored, live, 'restored after a reload: the same rows, packets, states and summaries');
      assertEq(await findings(page), liveFindings, 'and the same findings, recomputed');
      assertEq(await page.locator('[data-testid="recording-findings-check"]').getAttribute('data-equal'), '1', 'the page checked them against those recorded');
      assert(await rx.el('connect').isDisabled(), 'read-only: connect is disabled');
      assert(await tx.el('probe-start').isDisabled(), 'and so is the probe series');
      assert(await page.locator('[data-testid="device-add"]').isDisabled(), 'no device is added to a recording');
      assertEq(await journey(page, `probe:${series}:1`), steps, 'the same journey from the recording');
      await page.locator('[data-testid="lang"]').selectOption('zh-CN');
      assert((await page.locator('[data-testid="journey-card"] h3').textContent()).includes('消息轨迹'), 'the journey in Chinese');
      assert((await page.locator('[data-testid="journey-step"][data-kind="held"]').getAttribute('aria-label')).includes('服务端'), 'its steps too');
      await page.locator('[data-testid="lang"]').selectOption('en');
      await screenshot('recording-restored');

      // Back to live; a file that is not a recording is refused and the live page stays.
      await page.locator('[data-testid="recording-close"]').click();
      await page.locator('[data-testid="page-mode"][data-mode="live"]').waitFor();
      const junk = path.join(dir, 'junk.ackscope.json');
      writeFileSync(junk, '{"format": "something-else", "devices": 3}');
      await page.locator('[data-testid="recording-open"]').setInputFiles(junk);
      await page.locator('[data-testid="recording-notice"]').waitFor();
      assert((await page.locator('[data-testid="recording-notice"]').textContent()).includes('not an ackscope recording'), 'a clear message');
      assertEq(await mode(page), 'live', 'the live page is untouched');
      const cut = path.join(dir, 'cut.ackscope.json');
      writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)));
      await page.locator('[data-testid="recording-open"]').setInputFiles(cut);
      await page.locator('[data-testid="recording-notice"]:has-text("damaged or cut short")').waitFor();
      assertEq(await mode(page), 'live', 'a truncated file leaves the live page too');

      // The exported file opens read-only: the same again.
      await page.locator('[data-testid="recording-open"]').setInputFiles(file);
      await page.locator('[data-testid="page-mode"][data-mode="recording"]').waitFor();
      await page.locator('[data-testid="device"][data-index="0"] [data-testid="msg-row"]').nth(4).waitFor();
      assertEq(await facts(page), live, 'opened from the file: the same rows, packets, states and summaries');
      // Its clock is the recording's: the timeline axis ends at the moment it was made (the
      // page clock is seconds past it by now).
      const axisEnd = await rx.root.locator('.timeline .axis-labels span').nth(1).textContent();
      assertEq(axisEnd, new Date(rec.createdAt).toISOString().slice(11, 23), "the recording's timeline ends at its own moment");
      assertEq(await findings(page), liveFindings, 'and the same findings');
      // Filters work on a recording.
      await rx.select('msg-filter-verdict', 'live');
      await page.locator('[data-testid="device"][data-index="0"] [data-testid="msg-count"][data-matching="0"]').waitFor();
      assertEq(await rx.messages().count(), 0, 'no live messages in it');
      await rx.select('msg-filter-verdict', '');
      assertEq(await rx.messages().count(), 5, 'five offline ones');
      assert(await storedEvents(page) > 0, 'the store still holds a run');
    },
  },
  {
    // The store is written every second; what came in since is written when the page is
    // hidden or closed (pagehide), so a reload right after a burst loses none of it.
    name: 'recording-burst-then-reload-at-once-loses-nothing',
    async run({ page, broker }) {
      const rx = new DevicePanel(page, 0);
      await rx.connect({ clientId: 'rec-burst', cleanSession: true });
      await rx.subscribe('rec/burst', 1);
      const burst = 300;
      const lines = Array.from({ length: burst }, (_, i) => `burst ${i + 1}`).join('\n');
      execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', 'rec/burst', '-q', '1', '-l'], { input: `${lines}\n` });
      await page.locator(`[data-testid="device"][data-index="0"] [data-testid="msg-count"][data-total="${burst}"]`).waitFor({ timeout: 20_000 });
      // At once: what the page holds, what the store held, then the reload.
      const kept = Number(/(\d+)/.exec(await page.locator('[data-testid="page-mode"]').textContent())[1]);
      const storedBefore = await storedEvents(page);
      await page.reload();
      await page.locator('[data-testid="device"][data-index="0"]').waitFor();
      const storedAfter = await storedEvents(page);
      console.log(`     the page held ${kept} events; the store held ${storedBefore} just before the reload and ${storedAfter} after it`);
      assert(storedAfter >= kept, `the store has every event the page held: ${storedAfter} of ${kept}`);
      await page.locator('[data-testid="recording-restore"]').click();
      await page.locator('[data-testid="page-mode"][data-mode="recording"]').waitFor();
      assertEq(await total(page, 0), burst, 'restored: every message of the burst');
      const payloads = await rx.messages().evaluateAll((rows) => rows.map((r) => r.querySelector('[data-testid="msg-payload"]').textContent));
      assert(payloads.includes(`burst ${burst}`), 'the last one of the burst among them');
    },
  },
];
