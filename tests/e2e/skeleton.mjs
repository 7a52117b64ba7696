// The walking skeleton: connect, subscribe, receive from mosquitto_pub, publish to mosquitto_sub.
import { assert, assertEq, mqttPub, mqttSub } from './harness.mjs';
import { DevicePanel } from './page.mjs';

export const scenarios = [
  {
    name: 'skeleton-round-trip-with-mosquitto-clients',
    async run({ page, broker, screenshot }) {
      const d = new DevicePanel(page, 0);
      assertEq(await d.state(), 'disconnected', 'a new device starts disconnected');
      assertEq(await d.el('broker-url').inputValue(), broker.url, 'the page is pre-filled for the broker of ?broker=');
      await d.connect({ clientId: 'e2e-skeleton' });
      assertEq(await d.subscribe('e2e/in', 1), '1', 'SUBACK grants QoS 1');

      mqttPub(broker, 'e2e/in', 'hello from mosquitto_pub', 1);
      await d.waitMessages(1);
      const [m] = await d.messageFacts();
      assertEq([m.topic, m.payload, m.qos, m.verdict], ['e2e/in', 'hello from mosquitto_pub', '1', 'live'], 'the message is listed');

      const sub = mqttSub(broker, 'e2e/out', 1);
      await sub.ready;
      await d.publish('e2e/out', 'hello from ackscope', 1);
      assertEq(await sub.done, ['e2e/out hello from ackscope'], 'mosquitto_sub receives what the page published');

      // Renders are coalesced per frame: wait for the last packet of the exchange to be listed.
      await d.root.locator('[data-testid="packet-row"][data-dir="in"][data-type="PUBACK"]').waitFor({ state: 'attached' });
      const types = await d.el('packet-row').evaluateAll((rows) => rows.map((r) => `${r.dataset.dir} ${r.dataset.type}`));
      for (const t of ['out CONNECT', 'in CONNACK', 'out SUBSCRIBE', 'in SUBACK', 'in PUBLISH', 'out PUBACK', 'out PUBLISH', 'in PUBACK']) {
        assert(types.includes(t), `packet log has ${t}: ${types}`);
      }
      await screenshot('skeleton');
      await d.click('disconnect');
      await d.waitState('disconnected');
    },
  },
  {
    name: 'bad-input-gets-a-clear-message-and-no-panic',
    async run({ page }) {
      const d = new DevicePanel(page, 0);
      await d.fill('broker-url', 'http://nope');
      await d.click('connect');
      await d.el('device-error').waitFor();
      assert((await d.el('device-error').textContent()).includes('ws://'), 'a non-WebSocket URL is explained');
      await d.fill('broker-url', 'ws://127.0.0.1:1/mqtt');
      await d.click('connect');
      await page.locator('[data-testid="device-error"]:has-text("Could not open the WebSocket")').waitFor({ timeout: 10_000 });
      // A URL the browser's WebSocket refuses outright (a fragment): the socket worker's
      // refusal reaches the page with the browser's reason, and the session ends that attempt.
      await d.click('disconnect');
      await d.waitState('disconnected');
      await d.fill('broker-url', 'ws://127.0.0.1:1/mqtt#frag');
      await d.click('connect');
      await page.locator('[data-testid="timeline-entry"]:has-text("The browser refused to open ws://127.0.0.1:1/mqtt#frag")')
        .first().waitFor({ state: 'attached', timeout: 10_000 });
      await d.click('disconnect');
      await d.waitState('disconnected');
      await d.el('sub-topic').fill('a/#/b');
      await d.click('subscribe');
      await page.locator('[data-testid="device-error"]:has-text("#")').waitFor();
    },
  },
];
