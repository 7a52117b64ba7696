// Runs every end-to-end scenario against a fresh mosquitto and the release page.
//   node tests/e2e/run.mjs [name-filter]
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { launchBrowser, serveDist, startBroker, root } from './harness.mjs';
import { openPage } from './page.mjs';
import { replayEqualsLive } from './replay.mjs';
import { scenarios as skeleton } from './skeleton.mjs';
import { scenarios as session } from './session.mjs';
import { scenarios as diagnostics } from './diagnostics.mjs';
import { scenarios as truth } from './truth.mjs';
import { scenarios as auth } from './auth.mjs';
import { scenarios as profiles } from './profiles.mjs';
import { scenarios as network } from './network.mjs';
import { scenarios as soak } from './soak.mjs';
import { scenarios as security } from './security.mjs';
import { scenarios as glance } from './glance.mjs';
import { scenarios as recording } from './recording.mjs';
import { scenarios as hostile } from './hostile.mjs';
import { scenarios as brokerCheck, rabbitScenarios } from './broker_check.mjs';

// RabbitMQ takes ~20 s to start: its scenario runs with ACKSCOPE_E2E_RABBITMQ=1 (make test-brokers).
const rabbit = process.env.ACKSCOPE_E2E_RABBITMQ === '1' ? rabbitScenarios : [];
const all = [...skeleton, ...session, ...diagnostics, ...truth, ...auth, ...profiles, ...security, ...hostile, ...glance, ...recording, ...network, ...soak, ...brokerCheck, ...rabbit];
const filter = process.argv[2];
const chosen = all.filter((s) => !filter || s.name.includes(filter));
const shots = path.join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

const site = await serveDist();
const browser = await launchBrowser();
let failed = 0;
const replayChecked = [];
const replaySkipped = [];
const started = Date.now();
for (const scenario of chosen) {
  const broker = await startBroker(scenario.brokerConf?.());
  const page = await openPage(browser, site.url, broker);
  const t0 = Date.now();
  try {
    await scenario.run({ page, broker, screenshot: async (name) => {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    } });
    const panics = page.ackscopeErrors.filter((e) => e.includes('panicked'));
    if (panics.length) throw new Error(`the page panicked: ${panics.join('\n')}`);
    const ran = Date.now() - t0;
    // Every scenario that ends with findings: its recording, replayed, shows the same.
    let replay = '';
    if (scenario.replay?.skip) {
      replay = `; replay check skipped: ${scenario.replay.skip}`;
      replaySkipped.push(scenario.name);
    } else {
      const t1 = Date.now();
      const compared = await replayEqualsLive(browser, site.url, page);
      if (compared) {
        replayChecked.push(scenario.name);
        replay = `; replay = live: ${compared.length} findings in ${Date.now() - t1} ms`;
      }
    }
    console.log(`ok   ${scenario.name} (${ran} ms${replay})`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${scenario.name} (${Date.now() - t0} ms)\n     ${String(e.stack ?? e).split('\n').join('\n     ')}`);
    await page.screenshot({ path: path.join(root, `tests/e2e/artifacts/${scenario.name}.png`), fullPage: true }).catch(() => {});
  } finally {
    await page.close();
    broker.stop();
  }
}
await browser.close();
await site.close();
console.log(`replay = live checked after ${replayChecked.length} scenarios with findings; opted out: ${replaySkipped.length ? replaySkipped.join(', ') : 'none'}`);
console.log(`e2e: ${chosen.length - failed} passed, ${failed} failed of ${chosen.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
