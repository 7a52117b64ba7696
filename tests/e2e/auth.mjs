// Alibaba signature auth against a mosquitto that checks it: a password_file holding the
// signature computed here with Node's crypto (an implementation independent of ours).
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq } from './harness.mjs';
import { DevicePanel } from './page.mjs';

const AK = 'LTAI-test-key';
const SECRET = 'right-secret';
const INSTANCE = 'post-cn-e2e';
const CLIENT_ID = 'GID_test@@@device1';

function brokerConf() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-auth-'));
  chmodSync(dir, 0o755);
  const passwd = path.join(dir, 'passwd');
  const password = createHmac('sha1', SECRET).update(CLIENT_ID).digest('base64');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwd, `Signature|${AK}|${INSTANCE}`, password]);
  chmodSync(passwd, 0o644);
  const conf = path.join(dir, 'auth.conf');
  writeFileSync(conf, `allow_anonymous false\npassword_file ${passwd}\n`);
  return conf;
}

async function fillSignature(d, secret) {
  await d.select('auth-mode', 'aliyun-signature');
  await d.fill('client-id', CLIENT_ID);
  await d.fill('access-key-id', AK);
  await d.fill('access-key-secret', secret);
  await d.fill('instance-id', INSTANCE);
}

export const scenarios = [
  {
    name: 'aliyun-signature-right-secret-connects',
    brokerConf,
    async run({ page, screenshot }) {
      const d = new DevicePanel(page, 0);
      await fillSignature(d, SECRET);
      const expected = createHmac('sha1', SECRET).update(CLIENT_ID).digest('base64');
      assertEq(await d.el('calc-password').textContent(), expected, 'the calculator shows the Base64 HMAC');
      assertEq(await d.el('calc-username').textContent(), `Signature|${AK}|${INSTANCE}`, 'and the username');
      assert(!(await d.el('calc-key').textContent()).includes(SECRET), 'the secret is masked');
      await d.click('connect');
      await d.waitState('connected');
      const connect = await d.root.locator('[data-testid="packet-row"][data-type="CONNECT"]').textContent();
      assert(!connect.includes(expected) && !connect.includes(SECRET), 'the packet log never shows the password');
      assert(!page.url().includes(SECRET), 'nor the URL');
      await screenshot('aliyun-signature');
    },
  },
  {
    name: 'aliyun-signature-wrong-secret-is-refused-plainly-without-a-loop',
    brokerConf,
    async run({ page }) {
      const d = new DevicePanel(page, 0);
      await fillSignature(d, 'wrong-secret');
      await d.click('connect');
      const error = d.el('device-error');
      await error.waitFor();
      assert((await error.textContent()).includes('not authorized'), `says so plainly: ${await error.textContent()}`);
      await page.locator('[data-testid="lang"]').selectOption('zh-CN');
      assert((await error.textContent()).includes('未授权'), `and in Chinese: ${await error.textContent()}`);
      // The close of the refused connection is where the session decides whether to try
      // again: a loop would show a "reconnect" entry and the state "reconnecting" from then on.
      await d.root.locator('[data-testid="timeline-axis"] [data-kind="closed"]').waitFor({ state: 'attached' });
      assertEq(await d.state(), 'disconnected', 'stays disconnected');
      assertEq(await d.root.locator('[data-testid="timeline-axis"] [data-kind="reconnect"]').count(), 0, 'no reconnect scheduled');
      assertEq(await d.root.locator('[data-testid="packet-row"][data-type="CONNECT"]').count(), 1, 'no reconnect loop');
    },
  },
];
