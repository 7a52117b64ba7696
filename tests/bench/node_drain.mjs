// mqtt.js in Node (no browser) drains the same queue over the same WebSocket listener: set
// beside mqtt.js in Chromium, it shows what the browser adds to the same client's drain.
import mqtt from 'mqtt';

/** Subscribes `clientId` (a persistent session) to `topic` at QoS 1, then leaves. */
export async function nodeSubscribe(url, clientId, topic) {
  const c = await mqtt.connectAsync(url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  await c.subscribeAsync(topic, { qos: 1 });
  await c.endAsync();
}

/** Reconnects `clientId` and times CONNACK to the n-th message (mqtt.js acks each one). */
export function nodeDrain(url, clientId, n, timeoutMs) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    let connack = null;
    let count = 0;
    const done = (r) => { clearTimeout(timer); c.end(true); resolve(r); };
    const timer = setTimeout(() => done({ connackToN: null, count, timedOut: true }), timeoutMs);
    c.on('packetreceive', (p) => { if (p.cmd === 'connack') connack ??= performance.now(); });
    c.on('message', () => {
      count += 1;
      if (count === n) done({ connackToN: performance.now() - connack, count, timedOut: false });
    });
    c.on('error', (e) => { clearTimeout(timer); c.end(true); reject(e); });
  });
}
