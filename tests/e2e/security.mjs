// A page that no broker, no message and no link can break: hostile payloads, share links
// and imported files that carry no secrets in or out, the question before credentials go
// to a broker that came from outside, CSV cells that stay text, and the
// Content-Security-Policy the page runs under.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq } from './harness.mjs';
import { DevicePanel } from './page.mjs';

/** mosquitto_pub of a payload too big for a command-line argument (-f file). */
async function pubFile(broker, topic, payload, qos = 1) {
  const file = path.join(tmpdir(), `ackscope-payload-${process.pid}-${Date.now()}`);
  await writeFile(file, payload);
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', topic, '-f', file, '-q', String(qos)]);
}

function pub(broker, topic, message) {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcp), '-t', topic, '-m', message, '-q', '1']);
}

/** The page's own address (no query, no fragment). */
function siteOf(page) {
  const u = new URL(page.url());
  return `${u.origin}${u.pathname}`;
}

function linkParam(profile) {
  return Buffer.from(JSON.stringify(profile)).toString('base64url');
}

/** A page in a fresh browser context (its own, empty localStorage), opened at `url`. */
async function freshPage(page, url) {
  const context = await page.context().browser().newContext({ viewport: { width: 1280, height: 800 } });
  const fresh = await context.newPage();
  const errors = [];
  fresh.on('pageerror', (e) => errors.push(String(e)));
  fresh.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await fresh.goto(url);
  await fresh.locator('[data-testid="device"]').first().waitFor();
  fresh.ackscopeErrors = errors;
  return { fresh, close: () => context.close() };
}

export const scenarios = [
  {
    name: 'security-hostile-payloads-render-bounded-and-the-page-stays-usable',
    async run({ page, broker, screenshot }) {
      const d = new DevicePanel(page, 0);
      await d.connect({ clientId: 'sec-payloads' });
      assertEq(await d.subscribe('sec/payload', 1), '1', 'subscribed');
      await d.select('msg-format', 'json');

      // 200,000 '[': the JSON check used to exhaust the browser's stack.
      await pubFile(broker, 'sec/payload', '['.repeat(200_000));
      await d.waitMessages(1);
      const row = await d.el('msg-payload').first().textContent();
      assert(row.length < 70_000, `the row shows a bounded prefix: ${row.length} characters`);
      assert(row.endsWith('… (200000 bytes, shown: 65536)'), `and says how much it shows: …${row.slice(-40)}`);
      await d.el('msg-row').first().click();
      const detail = await d.el('msg-detail').locator('pre').textContent();
      assert(detail.startsWith('[not shown as JSON: nested deeper than 128 levels]'), `the detail says why it is not JSON: ${detail.slice(0, 80)}`);

      // Shown as hex: a prefix, not three characters a byte of all of it. (The test broker,
      // mosquitto 2.0.11, does not pass a 1 MB message to WebSocket clients at all; the
      // 16 MiB case is a unit test of src/view/payload.rs.)
      await pubFile(broker, 'sec/payload', Buffer.alloc(100_000, 0x41));
      await d.waitMessages(2);
      await d.select('msg-format', 'hex');
      const hex = await d.el('msg-payload').nth(1).textContent();
      assert(hex.startsWith('41 41 41') && hex.length < 50_000, `hex is cut short: ${hex.length} characters`);
      assert(hex.endsWith('… (100000 bytes, shown: 16384)'), `and marked: …${hex.slice(-40)}`);

      // The page is still alive: a later message still shows up, as itself.
      await d.select('msg-format', 'text');
      pub(broker, 'sec/payload', 'still alive');
      await d.waitMessages(3);
      const facts = await d.messageFacts();
      assertEq(facts[2].payload, 'still alive', 'a later message is listed');
      const crashes = page.ackscopeErrors.filter((e) => /Maximum call stack|RuntimeError|unreachable/.test(e));
      assertEq(crashes, [], 'no stack overflow, no trap');
      await screenshot('security-hostile-payloads');
    },
  },
  {
    name: 'security-share-links-use-the-fragment-and-carry-no-secret',
    async run({ page, broker }) {
      const d = new DevicePanel(page, 0);
      await d.fill('client-id', 'sec-share');
      await d.select('auth-mode', 'password');
      await d.fill('username', 'alice');
      await d.fill('password', 'pw-secret-1');
      await d.check('keep-secrets', true);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
      await d.click('profile-share');
      const notice = page.locator('[data-testid="page-notice"]').filter({ hasText: '#profile=' });
      await notice.waitFor();
      const note = await notice.textContent();
      assert(!note.includes('?profile='), `the link is in the fragment: ${note}`);
      const link = /(http\S+#profile=[A-Za-z0-9_-]+)/.exec(note)[1];
      const json = Buffer.from(link.split('#profile=')[1], 'base64url').toString();
      assert(!json.includes('pw-secret-1') && !json.includes('keepSecrets') && !json.includes('secrets'), `no secret and no opt-in: ${json}`);

      const { fresh, close } = await freshPage(page, link);
      try {
        const shared = new DevicePanel(fresh, 0);
        assertEq(await shared.el('client-id').inputValue(), 'sec-share', 'the link opens the device');
        assertEq(await shared.el('keep-secrets').isChecked(), false, 'secret storage stays off');
        assertEq(await shared.el('password').inputValue(), '', 'no password');
        await fresh.waitForFunction(() => !location.href.includes('profile='));
        // A reload does not add the link's device a second time.
        await fresh.reload();
        await fresh.locator('[data-testid="device"]').first().waitFor();
        assertEq(await fresh.locator('[data-testid="device"]').count(), 1, 'one device after a reload');
      } finally { await close(); }

      // A hand-made link that carries a secret and the opt-in cannot switch storage on.
      const hostile = linkParam({ brokerUrl: broker.url, clientId: 'sec-hostile', authMode: 'password', username: 'u', keepSecrets: true, secrets: { password: 'planted' } });
      const h = await freshPage(page, `${siteOf(page)}#profile=${hostile}`);
      try {
        const dev = new DevicePanel(h.fresh, 0);
        assertEq(await dev.el('client-id').inputValue(), 'sec-hostile', 'the hostile link opens its device');
        assertEq(await dev.el('keep-secrets').isChecked(), false, 'but not secret storage');
        assertEq(await dev.el('password').inputValue(), '', 'nor its planted password');
        const stored = await h.fresh.evaluate(() => localStorage.getItem('ackscope.profiles') ?? '');
        assert(!stored.includes('planted') && !stored.includes('"keepSecrets": true'), `nothing planted is stored: ${stored}`);
      } finally { await h.close(); }

      // An old `?profile=` link still opens; a `user:pass@` broker in a link is refused.
      const old = await freshPage(page, `${siteOf(page)}?profile=${linkParam({ clientId: 'sec-old-link' })}`);
      try {
        assertEq(await new DevicePanel(old.fresh, 0).el('client-id').inputValue(), 'sec-old-link', 'an old ?profile= link opens');
      } finally { await old.close(); }
      const userinfo = linkParam({ brokerUrl: 'ws://admin:hunter2@127.0.0.1:1/mqtt', clientId: 'sec-userinfo' });
      const refused = await freshPage(page, `${siteOf(page)}#profile=${userinfo}`);
      try {
        const n = refused.fresh.locator('[data-testid="page-notice"]');
        await n.waitFor();
        const text = await n.textContent();
        assert(text.includes('not opened') && text.includes('user:pass@') && !text.includes('hunter2'), `refused plainly: ${text}`);
        const ids = await refused.fresh.locator('[data-testid="client-id"]').evaluateAll((els) => els.map((e) => e.value));
        assert(!ids.includes('sec-userinfo'), `the device is not added: ${ids}`);
      } finally { await refused.close(); }
    },
  },
  {
    name: 'security-broker-from-a-link-is-confirmed-before-credentials-go',
    async run({ page, broker, screenshot }) {
      const param = linkParam({ brokerUrl: broker.url, clientId: 'sec-confirm', authMode: 'password', username: 'u' });
      const { fresh, close } = await freshPage(page, `${siteOf(page)}#profile=${param}`);
      try {
        const d = new DevicePanel(fresh, 0);
        const host = new URL(broker.url.replace(/^ws/, 'http')).host;
        await d.fill('password', 'pw');
        await d.click('connect');
        const confirm = d.el('broker-confirm');
        await confirm.waitFor();
        assert((await confirm.textContent()).includes(host), `the confirmation names the host ${host}`);
        assertEq(await d.state(), 'disconnected', 'nothing is sent before the answer');
        assertEq(await fresh.evaluate(() => document.activeElement?.dataset.testid), 'broker-confirm-accept', 'the keyboard is on the answer');
        await screenshot('security-broker-confirm');
        await fresh.keyboard.press('Escape');
        await confirm.waitFor({ state: 'detached' });
        await d.click('connect');
        await d.el('broker-confirm-cancel').click();
        await confirm.waitFor({ state: 'detached' });
        assertEq(await d.state(), 'disconnected', 'cancel does not connect');
        assertEq(await d.el('packet-row').count(), 0, 'not even a CONNECT');

        await d.click('connect');
        await d.el('broker-confirm-accept').waitFor();
        await fresh.keyboard.press('Enter');
        await d.waitState('connected');
        await d.click('disconnect');
        await d.waitState('disconnected');
        await d.click('connect');
        await d.waitState('connected');
        assertEq(await confirm.count(), 0, 'asked once per broker');
        await d.click('disconnect');
        await d.waitState('disconnected');

        // A second linked device: editing its broker URL makes it the user's own.
        await fresh.goto('about:blank');
        await fresh.goto(`${siteOf(page)}#profile=${linkParam({ brokerUrl: broker.url, clientId: 'sec-confirm-2', authMode: 'password', username: 'u' })}`);
        const e = new DevicePanel(fresh, 1);
        await e.root.waitFor();
        await e.fill('password', 'pw');
        await e.fill('broker-url', `${broker.url} `);
        await e.fill('broker-url', broker.url);
        await e.click('connect');
        await e.waitState('connected');
        assertEq(await e.el('broker-confirm').count(), 0, 'a broker URL the user typed is not questioned');
        await e.click('disconnect');

        // A typed URL with credentials in it is refused at the field, and nothing is opened.
        await e.waitState('disconnected');
        await e.fill('broker-url', broker.url.replace('ws://', 'ws://admin:hunter2@'));
        const fieldError = e.root.locator('.field-error').filter({ hasText: 'user:pass@' });
        await fieldError.waitFor();
        const before = await e.el('packet-row').count();
        await e.click('connect');
        await fresh.waitForTimeout(300);
        assertEq(await e.state(), 'disconnected', 'a user:pass@ URL does not connect');
        assertEq(await e.el('packet-row').count(), before, 'and sends nothing');
      } finally { await close(); }
    },
  },
  {
    name: 'security-imports-are-checked-and-unreadable-profiles-kept',
    async run({ page }) {
      const importer = page.locator('[data-testid="profiles-import"]');
      await importer.setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.alloc(6 * 1024 * 1024, 0x20) });
      const big = page.locator('[data-testid="page-notice"]').filter({ hasText: 'Import failed' });
      await big.waitFor();
      assert((await big.textContent()).includes('5 MB'), `a big file is refused before reading: ${await big.textContent()}`);

      const hostile = { format: 'ackscope-profiles/1', devices: [{ clientId: 'sec-imported', authMode: 'password', username: 'u', keepSecrets: true, secrets: { password: 'planted' } }] };
      await importer.setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(hostile)) });
      const imported = new DevicePanel(page, 1);
      await imported.root.waitFor();
      assertEq(await imported.el('client-id').inputValue(), 'sec-imported', 'the device is imported');
      assertEq(await imported.el('keep-secrets').isChecked(), false, 'without secret storage');
      assertEq(await imported.el('password').inputValue(), '', 'and without the planted password');

      const userinfo = { format: 'ackscope-profiles/1', devices: [{ brokerUrl: 'wss://admin:hunter2@broker.example/mqtt', clientId: 'x' }] };
      await importer.setInputFiles({ name: 'userinfo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(userinfo)) });
      const refused = page.locator('[data-testid="page-notice"]').filter({ hasText: 'user:pass@' });
      await refused.waitFor();
      assert(!(await refused.textContent()).includes('hunter2'), 'the refusal does not repeat the password');
      assertEq(await page.locator('[data-testid="device"]').count(), 2, 'nothing added');

      // Unreadable saved profiles: kept under a backup key, with a notice, never overwritten.
      await page.evaluate(() => localStorage.setItem('ackscope.profiles', '{"format": broken'));
      await page.reload();
      const notice = page.locator('[data-testid="page-notice"]').filter({ hasText: 'could not be read' });
      await notice.waitFor();
      const backups = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ackscope.profiles.unreadable-'))
        .map((k) => [k, localStorage.getItem(k)]));
      assertEq(backups.length, 1, 'one backup');
      assertEq(backups[0][1], '{"format": broken', 'holding the unreadable text as it was');
      assert((await notice.textContent()).includes(backups[0][0]), 'the notice names the backup key');
    },
  },
  {
    name: 'security-csv-export-keeps-formulas-as-text',
    async run({ page, broker }) {
      const d = new DevicePanel(page, 0);
      await d.connect({ clientId: 'sec-csv' });
      await d.subscribe('sec/csv', 1);
      pub(broker, 'sec/csv', '=HYPERLINK("http://evil.example","x")');
      pub(broker, 'sec/csv', '@SUM(1+1)');
      pub(broker, 'sec/csv', 'plain');
      await d.waitMessages(3);
      const [download] = await Promise.all([page.waitForEvent('download'), d.click('msg-export-csv')]);
      const csv = await readFile(await download.path(), 'utf8');
      const lines = csv.trim().split('\n');
      assert(lines[1].endsWith(',"\'=HYPERLINK(""http://evil.example"",""x"")"'), `a formula stays text: ${lines[1]}`);
      assert(lines[2].endsWith(",'@SUM(1+1)"), `an @ cell too: ${lines[2]}`);
      assert(lines[3].endsWith(',plain'), `plain text is untouched: ${lines[3]}`);
    },
  },
  {
    name: 'security-page-runs-under-its-content-security-policy',
    async run({ page }) {
      const csp = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '');
      for (const part of ["script-src 'self' 'wasm-unsafe-eval' 'sha256-", 'connect-src', 'ws: wss:', "object-src 'none'", "base-uri 'none'"]) {
        assert(csp.includes(part), `the policy has ${part}: ${csp}`);
      }
      assert(!csp.includes('{{') && !csp.includes("'unsafe-eval'") && !/script-src[^;]*'unsafe-inline'/.test(csp), `no placeholder, no eval, no inline scripts: ${csp}`);
      // The page itself started under the policy (the other scenarios connect under it too).
      const violations = page.ackscopeErrors.filter((e) => e.includes('Content Security Policy'));
      assertEq(violations, [], 'the page runs without a violation');
      assert(await page.locator('[data-testid="device"]').count() >= 1, 'the page is up');
      // An injected inline script is refused by the policy.
      const ran = await page.evaluate(() => new Promise((resolve) => {
        window.__injected = false;
        document.addEventListener('securitypolicyviolation', () => resolve(window.__injected), { once: true });
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true;';
        document.body.appendChild(s);
        setTimeout(() => resolve(window.__injected), 1000);
      }));
      assertEq(ran, false, 'an injected inline script does not run');
    },
  },
  {
    // The page's sockets live in a worker started from a blob: URL (src/edge/socket.rs). A
    // policy that refuses it (a proxy that rewrote the page's policy) must not leave a device
    // connecting forever: the refusal is told, with the reason.
    name: 'security-a-policy-refusing-the-socket-worker-is-told-not-hung',
    async run({ page, broker }) {
      const context = await page.context().browser().newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.route((url) => url.pathname === '/', async (route) => {
          const response = await route.fetch();
          const html = await response.text();
          assert(html.includes(' worker-src blob:;'), 'the policy allows the socket worker as built');
          await route.fulfill({ response, body: html.replace(' worker-src blob:;', '') });
        });
        const fresh = await context.newPage();
        await fresh.goto(`${siteOf(page)}?broker=${encodeURIComponent(broker.url)}`);
        const d = new DevicePanel(fresh, 0);
        await d.el('connect').waitFor();
        await d.click('connect');
        const told = fresh.locator('[data-testid="timeline-entry"]:has-text("The browser refused to open")').first();
        await told.waitFor({ state: 'attached', timeout: 10_000 });
        const text = await told.textContent();
        console.log(`     told: ${text}`);
        assert(text.includes('socket worker'), `the refusal names the socket worker: ${text}`);
        assert(await d.el('conn-state').getAttribute('data-state') !== 'connected', 'not connected');
      } finally {
        await context.close();
      }
    },
  },
];
