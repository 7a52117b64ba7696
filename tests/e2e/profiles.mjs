// Profiles: saved without secrets, kept on reload, exported, imported, shared as links.
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEq } from './harness.mjs';
import { DevicePanel } from './page.mjs';

export const scenarios = [
  {
    name: 'profiles-persist-export-import-share-without-secrets',
    async run({ page }) {
      const d = new DevicePanel(page, 0);
      await d.select('auth-mode', 'aliyun-signature');
      await d.fill('client-id', 'GID_prof@@@dev1');
      await d.fill('access-key-id', 'AK-prof');
      await d.fill('access-key-secret', 'top-secret-value');
      await d.fill('instance-id', 'post-cn-prof');
      await d.check('clean-session', false);
      await page.waitForFunction(() => (localStorage.getItem('ackscope.profiles') ?? '').includes('GID_prof@@@dev1') && (localStorage.getItem('ackscope.profiles') ?? '').includes('"cleanSession": false'));
      const stored = await page.evaluate(() => localStorage.getItem('ackscope.profiles'));
      assert(stored.includes('GID_prof@@@dev1'), 'the profile is saved');
      assert(!stored.includes('top-secret-value'), 'without the secret');

      await page.reload();
      const again = new DevicePanel(page, 0);
      await again.root.waitFor();
      assertEq(await again.el('client-id').inputValue(), 'GID_prof@@@dev1', 'kept across a reload');
      assertEq(await again.el('clean-session').isChecked(), false, 'cleanSession too');
      assertEq(await again.el('access-key-secret').inputValue(), '', 'the secret is not kept');

      await again.fill('access-key-secret', 'top-secret-value');
      await again.check('keep-secrets', true);
      await page.waitForFunction(() => localStorage.getItem('ackscope.profiles').includes('top-secret-value'), null, { timeout: 5_000 })
        .catch(() => { throw new Error('assertion failed: the secret is kept after opting in'); });

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="profiles-export"]').click()]);
      const exported = await readFile(await download.path(), 'utf8');
      assert(exported.includes('GID_prof@@@dev1') && !exported.includes('top-secret-value'), 'the export never carries secrets');

      const file = path.join(tmpdir(), `ackscope-import-${process.pid}.json`);
      await writeFile(file, exported.replace('GID_prof@@@dev1', 'GID_prof@@@dev2'));
      await page.locator('[data-testid="profiles-import"]').setInputFiles(file);
      const imported = new DevicePanel(page, 1);
      await imported.root.waitFor();
      assertEq(await imported.el('client-id').inputValue(), 'GID_prof@@@dev2', 'import adds the device');

      await page.locator('[data-testid="profiles-import"]').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"nope":') });
      await page.locator('[data-testid="page-notice"]:has-text("Import failed")').waitFor();

      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
      await again.click('profile-share');
      // The notice comes once the clipboard has answered: copied, or failed with the link to
      // copy by hand; both show the link.
      const notice = page.locator('[data-testid="page-notice"]').filter({ hasText: '#profile=' });
      await notice.waitFor();
      const note = await notice.textContent();
      assert(/copied|copy it by hand/.test(note), `the notice says whether the link was copied: ${note}`);
      const link = /(http\S+#profile=[A-Za-z0-9_-]+)/.exec(note)[1];
      assert(!link.includes('top-secret') && !Buffer.from(link.split('profile=')[1], 'base64url').toString().includes('top-secret'), 'the link has no secret');
      const fresh = await page.context().browser().newPage();
      await fresh.goto(link);
      const shared = fresh.locator('[data-testid="device"] [data-testid="client-id"]');
      await shared.first().waitFor();
      const ids = await shared.evaluateAll((els) => els.map((e) => e.value));
      assert(ids.includes('GID_prof@@@dev1'), `the link opens the device: ${ids}`);
      await fresh.close();
    },
  },
];
