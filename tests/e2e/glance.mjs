// The answer at a glance (issue 17): after the seed flow the receiver's summary tells what came
// back, on the first screen, in both languages; four devices fit on a 1920x1080 screen.
import path from 'node:path';
import { assert, assertEq, mqttPub, root } from './harness.mjs';
import { DevicePanel } from './page.mjs';

async function addDevice(page, index) {
  await page.locator('[data-testid="device-add"]').click();
  const d = new DevicePanel(page, index);
  await d.root.waitFor();
  return d;
}

/** What a user sees first: the viewport only, from the top of the page. */
async function firstView(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(root, 'docs/screenshots', `${name}.png`) });
}

/** The element's box, measured with the page scrolled to the top (nothing scrolled by hand). */
async function boxAtTop(page, locator) {
  await page.evaluate(() => window.scrollTo(0, 0));
  return locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height, bottom: r.bottom, right: r.right };
  });
}

function messagesCard(d) {
  return d.el('msg-list').locator('xpath=ancestor::div[contains(@class, "card")][1]');
}

function assertInView(box, viewport, what) {
  assert(box.y >= 0 && box.x >= 0 && box.bottom <= viewport.height && box.right <= viewport.width,
    `${what} is inside the ${viewport.width}x${viewport.height} viewport without scrolling: ${JSON.stringify(box)}`);
}

/** WCAG contrast of an element's text on its own background, as computed by the browser. */
async function contrast(locator) {
  return locator.evaluate((e) => {
    const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const s = getComputedStyle(e);
    const [a, b] = [lum(rgb(s.color)), lum(rgb(s.backgroundColor))];
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), color: s.color, background: s.backgroundColor };
  });
}

export const scenarios = [
  {
    name: 'glance-seed-summary-on-the-first-screen-in-both-languages',
    async run({ page, broker, screenshot }) {
      const viewport = page.viewportSize();
      assertEq([viewport.width, viewport.height], [1280, 800], 'a 1280x800 screen');
      const rx = new DevicePanel(page, 0);

      // Hovered primary buttons keep their contrast (white text never on light grey).
      for (const [what, locator] of [
        ['Connect', rx.el('connect')],
        ['+ Add device', page.locator('[data-testid="device-add"]')],
        ['Export profiles', page.locator('[data-testid="profiles-export"]')],
        ['Import profiles', page.locator('.topbar .file-button')],
      ]) {
        await locator.hover();
        const c = await contrast(locator);
        assert(c.ratio >= 4.5, `hovered ${what} keeps a contrast of 4.5:1 or more: ${c.ratio.toFixed(2)} (${c.color} on ${c.background})`);
      }

      const tx = await addDevice(page, 1);
      await rx.connect({ clientId: 'glance-rx', cleanSession: false });
      assertEq(await rx.subscribe('glance/probe', 1), '1', 'granted QoS 1');
      await rx.click('disconnect');
      await rx.waitState('disconnected');

      await tx.connect({ clientId: 'glance-tx' });
      await tx.sendProbes('glance/probe', 5, 50);

      await rx.click('connect');
      await rx.waitState('connected');
      await rx.waitMessages(5);

      // The summary: counted since the reconnect, in numbers and in one line.
      const summary = rx.el('device-summary');
      await rx.root.locator('[data-testid="device-summary"][data-offline="5"]').waitFor();
      const facts = await summary.evaluate((e) => ({ ...e.dataset }));
      assertEq([facts.offline, facts.live, facts.redelivered, facts.duplicate, facts.missing], ['5', '0', '0', '0', '0'],
        `five offline, nothing else, none missing: ${JSON.stringify(facts)}`);
      assert(/^\d+$/.test(facts.maxLatencyMs), `the largest latency in ms: ${facts.maxLatencyMs}`);
      const line = await rx.el('device-summary-line').textContent();
      assert(line.includes('5 offline replayed') && line.includes('none missing'), `the answer in one line: ${line}`);
      assert(/late/.test(line), `how late: ${line}`);
      const head = await summary.textContent();
      assert(head.includes('Session Present = 1: session kept'), `Session Present in words: ${head}`);
      const close = await rx.el('device-summary-close').textContent();
      assert(close.includes('Disconnected'), `the last close and why: ${close}`);

      // Settings folded while connected: one line, opened again on demand (fields stay usable).
      const settings = rx.root.locator('details.settings');
      assertEq(await settings.evaluate((e) => e.open), false, 'settings fold away once connected');
      const settingsLine = await rx.el('settings-summary').textContent();
      assert(settingsLine.includes('glance-rx') && settingsLine.includes('cleanSession 0') && settingsLine.includes('keepalive 60'),
        `the folded settings in one line: ${settingsLine}`);
      assert(!(await rx.el('broker-url').isVisible()), 'the broker URL field is folded away');

      const box = await boxAtTop(page, summary);
      assertInView(box, viewport, "the receiver's device-summary");
      await firstView(page, 'glance-first-view');
      await screenshot('glance-seed');

      // Both languages: the same answer in Chinese, still on the first screen.
      await page.locator('[data-testid="lang"]').selectOption('zh-CN');
      await rx.root.locator('[data-testid="device-summary-line"]:has-text("已重放 5 条离线消息")').waitFor();
      const zh = await rx.el('device-summary-line').textContent();
      assert(zh.includes('无缺失') && zh.includes('晚到'), `the Chinese line: ${zh}`);
      assert((await summary.textContent()).includes('会话已保留'), 'Session Present in Chinese words');
      assertInView(await boxAtTop(page, summary), viewport, "the receiver's device-summary in Chinese");
      // Every option of every select reads Chinese (technical tokens excepted).
      const untranslated = await page.locator('select option').evaluateAll((opts) => opts
        .map((o) => o.textContent.trim())
        .filter((t) => !/[\u4e00-\u9fff]/.test(t) && !/^(QoS \d|JSON|hex|Base64|English|[A-Z]+)$/.test(t)));
      assertEq(untranslated, [], 'every select option has Chinese text in zh-CN (QoS levels, formats, packet types and language names excepted)');
      const verdicts = await rx.root.locator('[data-testid="msg-row"] .badge.offline').allTextContents();
      assert(verdicts.length === 5 && verdicts.every((v) => v.startsWith('离线')), `verdict badges in Chinese: ${verdicts}`);
      await rx.messages().first().click();
      const detail = await rx.el('msg-detail').textContent();
      assert(detail.includes('离线') && !/\boffline\b/.test(detail), `the message detail names the verdict in Chinese: ${detail}`);
      await firstView(page, 'glance-first-view-zh');
      await messagesCard(rx).screenshot({ path: path.join(root, 'docs/screenshots', 'glance-messages-zh.png') });
      await page.locator('[data-testid="lang"]').selectOption('en');
      await rx.root.locator('[data-testid="device-summary-line"]:has-text("offline replayed")').waitFor();

      // The list follows the newest row until the user scrolls; then "jump to latest".
      for (let n = 1; n <= 10; n += 1) mqttPub(broker, 'glance/probe', `live-${n}`, 1);
      await rx.waitMessages(15);
      const list = rx.el('msg-list');
      await page.waitForFunction((el) => el.scrollTop > 0 && el.scrollTop + el.clientHeight >= el.scrollHeight - 2,
        await list.elementHandle());
      assertEq(await rx.el('msg-jump-latest').count(), 0, 'no jump button while following');
      await list.evaluate((el) => { el.scrollTop = 0; });
      await rx.el('msg-jump-latest').waitFor();
      mqttPub(broker, 'glance/probe', 'live-11', 1);
      await rx.root.locator('[data-testid="msg-count"][data-total="16"]').waitFor();
      assertEq(await list.evaluate((el) => el.scrollTop), 0, 'scrolled up: the list stays where the user put it');
      await rx.click('msg-jump-latest');
      await page.waitForFunction((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2, await list.elementHandle());
      await rx.el('msg-jump-latest').waitFor({ state: 'detached' });
      const last = await rx.messages().last().getAttribute('data-topic');
      assertEq(last, 'glance/probe', 'the newest row is in view again');
      const legend = await rx.el('msg-legend').textContent();
      assert(legend.includes('?') && legend.includes('inferred'), `a legend for "?": ${legend}`);
      await list.evaluate((el) => { el.scrollTop = 0; });
      await rx.el('msg-jump-latest').waitFor();
      await messagesCard(rx).screenshot({ path: path.join(root, 'docs/screenshots', 'glance-messages.png') });
    },
  },
  {
    name: 'glance-four-devices-fit-on-1920x1080-eight-folded',
    async run({ page }) {
      // "Fit": the four cards stand side by side in one row, each one's summary entirely on the
      // first screen; eight cards folded to their summaries fit on it in two rows.
      const viewport = { width: 1920, height: 1080 };
      await page.setViewportSize(viewport);
      const devices = [new DevicePanel(page, 0)];
      for (let i = 1; i < 4; i += 1) devices.push(await addDevice(page, i));
      for (const [i, d] of devices.entries()) await d.connect({ clientId: `glance-fit-${i}` });
      await page.locator('[data-testid="overview-device"][data-state="connected"]').nth(3).waitFor();
      const tops = [];
      for (const [i, d] of devices.entries()) {
        const card = await boxAtTop(page, d.root);
        const summary = await boxAtTop(page, d.el('device-summary'));
        assertInView(summary, viewport, `device ${i + 1}'s summary`);
        tops.push(Math.round(card.y));
      }
      assert(tops.every((t) => t === tops[0]), `the four cards share one row: tops ${tops}`);
      assertEq(await page.locator('[data-testid="overview-device"]').count(), 4, 'the overview strip lists the four');
      await firstView(page, 'glance-four-devices');

      for (let i = 4; i < 8; i += 1) devices.push(await addDevice(page, i));
      for (const d of devices) await d.click('device-collapse');
      await page.locator('[data-testid="device"][data-collapsed="1"]').nth(7).waitFor();
      for (const [i, d] of devices.entries()) {
        assertInView(await boxAtTop(page, d.el('device-summary')), viewport, `folded device ${i + 1}'s summary`);
      }
      assert(!(await devices[0].el('connect').isVisible()), 'a folded card hides its sections');
      await firstView(page, 'glance-eight-folded');
      // Unfolding brings the sections back, state intact.
      await devices[0].click('device-collapse');
      await devices[0].el('conn-state').waitFor();
      assertEq(await devices[0].state(), 'connected', 'unfolded, still connected');
    },
  },
  {
    name: 'glance-defaults-receiver-sender-and-a-copied-broker',
    async run({ page, broker }) {
      // A fresh page offers device 1 as the receiver: cleanSession off, QoS 1 subscription.
      const rx = new DevicePanel(page, 0);
      assertEq(await rx.root.getAttribute('data-role'), 'receiver', 'device 1 is offered as the receiver');
      assertEq(await rx.el('clean-session').isChecked(), false, 'the receiver starts with cleanSession off');
      assertEq(await rx.el('sub-qos').inputValue(), '1', 'and a QoS 1 subscription');
      assert((await rx.el('role-hint').textContent()).includes('Connect, Subscribe'), 'the hint says what to click');
      // The second is the sender: a QoS 1 probe series on the receiver's topic, ready to start.
      const tx = await addDevice(page, 1);
      assertEq(await tx.root.getAttribute('data-role'), 'sender', 'device 2 is offered as the sender');
      assertEq(await tx.el('pub-topic').inputValue(), await rx.el('sub-topic').inputValue(), "the sender publishes on the receiver's topic");
      assertEq(await tx.el('pub-qos').inputValue(), '1', 'at QoS 1');
      assert(Number(await tx.el('probe-count').inputValue()) > 0 && Number(await tx.el('probe-interval-ms').inputValue()) > 0, 'its probe series is ready');
      assertEq(await tx.el('clean-session').isChecked(), true, 'the sender keeps no session');
      assertEq(await tx.el('broker-url').inputValue(), broker.url, "the sender is on the receiver's broker");

      // A third device copies the broker URL, profile and auth mode of the second, never its password.
      const url = `ws://localhost:${broker.ws}/mqtt`;
      await tx.fill('broker-url', url);
      await tx.select('auth-mode', 'password');
      await tx.fill('username', 'tx-user');
      await tx.fill('password', 'tx-secret');
      await tx.select('broker-profile', 'aliyun');
      // Choosing the Alibaba profile turns cleanSession off (the page redraws on its next frame).
      await tx.root.locator('[data-testid="clean-session"]:not(:checked)').waitFor();
      const third = await addDevice(page, 2);
      assertEq(await third.root.getAttribute('data-role'), null, 'only the first two are offered a role');
      assertEq(await third.el('broker-url').inputValue(), url, 'the broker URL is copied');
      assertEq(await third.el('broker-profile').inputValue(), 'aliyun', 'the broker profile is copied');
      assertEq(await third.el('auth-mode').inputValue(), 'password', 'the auth mode is copied');
      assertEq(await third.el('password').inputValue(), '', 'the password is not');
      assertEq(await third.el('clean-session').isChecked(), false, 'on the Alibaba profile cleanSession starts off');

      // Chinese: the roles and hints too.
      await page.locator('[data-testid="lang"]').selectOption('zh-CN');
      await rx.root.locator('[data-testid="device-role"]:has-text("接收端")').waitFor();
      assert((await tx.el('role-hint').textContent()).includes('开始探测序列'), 'the sender hint in Chinese');
      await firstView(page, 'glance-defaults');
    },
  },
  {
    name: 'glance-probe-series-story-counts-copies-honestly',
    async run({ page, screenshot }) {
      // The seed flow with the presets only: the receiver goes silent, the sender's series is
      // pushed into its dead connection, the receiver takes its session over and mosquitto
      // resends the five with DUP=1: five messages delivered twice, not ten.
      const rx = new DevicePanel(page, 0);
      const tx = await addDevice(page, 1);
      await rx.click('connect');
      await rx.waitState('connected');
      await rx.click('subscribe');
      await rx.root.locator('[data-testid="sub-row"][data-granted="1"]').waitFor();
      await tx.click('connect');
      await tx.waitState('connected');
      await rx.click('go-silent');
      await rx.waitState('silent');
      const clocks = await rx.el('broker-notice-clocks').textContent();
      assert(clocks.includes('1.5 × keepalive') && clocks.includes('10.0 s, assumed'), `the broker-notice clock is related to the ack clocks: ${clocks}`);
      await tx.click('probe-start');
      await tx.root.locator('[data-testid="probe-progress"][data-sent="5"]').waitFor();
      await rx.root.locator('[data-testid="msg-count"][data-total="5"]').waitFor();
      assertEq((await rx.messageFacts()).filter((m) => m.dead).length, 5, 'all five pushed into the dead connection');
      const rows = await rx.el('inflight-row').evaluateAll((r) => r.map((e) => e.dataset.assumed));
      assert(rows.length === 5 && rows.every((a) => a === '1'), `the ack clocks are marked assumed: ${rows}`);
      assert((await rx.el('inflight-row').first().textContent()).includes('10.0 s, assumed'), 'the ack timeout says it is assumed');
      // The assumed 10 s runs out: the row says nothing is known of what mosquitto does then.
      const outcome = rx.el('inflight-outcome').first();
      await outcome.waitFor({ timeout: 20_000 });
      assert((await outcome.textContent()).includes('not known'), `a run-out clock says what is known: ${await outcome.textContent()}`);
      await screenshot('glance-ack-clocks');

      await rx.click('connect');
      await rx.waitState('connected');
      const story = rx.root.locator('[data-testid="probe-summary"][data-copies="10"]');
      await story.waitFor();
      const facts = await story.evaluate((e) => ({ ...e.dataset }));
      assertEq([facts.messages, facts.copies, facts.twiceViaDead, facts.deadOnly, facts.extraCopies, facts.received, facts.missing, facts.duplicates],
        ['5', '10', '5', '0', '0', '5', '0', '0'], `five messages delivered twice, not ten: ${JSON.stringify(facts)}`);
      assertEq(facts.verdictRedelivered, '5', 'each counted once, by the copy that reached the application');
      assertEq(facts.story, 'start:silent reconnected-sp1', 'what happened to the receiver');
      assert(Number(facts.maxLatencyMs) >= Number(facts.minLatencyMs) && Number(facts.minLatencyMs) >= 9_000, `latencies include the wait: ${facts.minLatencyMs}..${facts.maxLatencyMs}`);
      const label = await rx.el('probe-summary-label').textContent();
      assert(/started \d\d:\d\d:\d\d\.\d{3}/.test(label), `labelled with its start time: ${label}`);
      assert(label.includes('before it started: receiver went silent · reconnected, Session Present 1'), `and what happened: ${label}`);
      const counts = await rx.el('probe-summary-counts').textContent();
      assert(counts.includes('5 messages, 10 copies: 5 delivered twice') && counts.includes('latency'), `counted honestly: ${counts}`);
      await messagesCard(rx).screenshot({ path: path.join(root, 'docs/screenshots', 'glance-probe-story.png') });
      await page.locator('[data-testid="lang"]').selectOption('zh-CN');
      await rx.root.locator('[data-testid="probe-summary-label"]:has-text("开始前:接收端进入静默")').waitFor();
      assert((await rx.el('probe-summary-counts').textContent()).includes('5 条消息,10 份副本'), 'counted in Chinese too');
      await screenshot('glance-probe-story');
    },
  },
];
