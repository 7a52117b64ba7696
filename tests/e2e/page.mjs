// Drives ackscope only through its automation contract (data-testid, data-* attributes).

export class DevicePanel {
  constructor(page, index) {
    this.page = page;
    this.root = page.locator(`[data-testid="device"][data-index="${index}"]`);
  }
  el(id) { return this.root.locator(`[data-testid="${id}"]`); }
  // Settings fold away while connected: open the fold, as a user would, before touching a
  // field inside it.
  async reveal(id) {
    const el = this.el(id).first();
    if ((await el.count()) === 0 || (await el.isVisible())) return;
    const fold = this.root.locator('details.settings:not([open]) > [data-testid="settings-summary"]');
    if (await fold.count()) await fold.click();
  }
  async fill(id, value) { await this.reveal(id); await this.el(id).fill(String(value)); }
  async click(id) { await this.el(id).first().click(); }
  async check(id, on) { await this.reveal(id); await this.el(id).setChecked(on); }
  async select(id, value) { await this.reveal(id); await this.el(id).selectOption(String(value)); }
  async state() { return this.el('conn-state').getAttribute('data-state'); }
  async waitState(state, timeout = 10_000) {
    await this.root.locator(`[data-testid="conn-state"][data-state="${state}"]`).waitFor({ timeout });
  }
  async connect({ clientId, cleanSession = true, keepalive, manualAck } = {}) {
    if (clientId) await this.fill('client-id', clientId);
    await this.check('clean-session', cleanSession);
    if (keepalive) await this.fill('keepalive', keepalive);
    if (manualAck !== undefined) await this.check('manual-ack', manualAck);
    await this.click('connect');
    await this.waitState('connected');
  }
  async subscribe(topic, qos = 1) {
    await this.fill('sub-topic', topic);
    await this.select('sub-qos', qos);
    await this.click('subscribe');
    await this.root.locator(`[data-testid="sub-row"][data-topic="${topic}"]:not([data-granted=""])`).waitFor();
    return this.root.locator(`[data-testid="sub-row"][data-topic="${topic}"]`).getAttribute('data-granted');
  }
  async publish(topic, payload, qos = 1) {
    await this.fill('pub-topic', topic);
    await this.fill('pub-payload', payload);
    await this.select('pub-qos', qos);
    await this.click('publish');
  }
  /** Starts a probe series and waits until every probe went out and was acknowledged. */
  async sendProbes(topic, count, intervalMs, qos = 1) {
    await this.fill('pub-topic', topic);
    await this.select('pub-qos', qos);
    await this.fill('probe-count', count);
    await this.fill('probe-interval-ms', intervalMs);
    await this.click('probe-start');
    await this.root.locator(`[data-testid="probe-progress"][data-sent="${count}"]`).waitFor();
    const index = await this.root.getAttribute('data-index');
    await this.page.waitForFunction((i) => document.querySelectorAll(
      `[data-testid="device"][data-index="${i}"] [data-testid="inflight-row"]`).length === 0, index);
  }
  messages() { return this.el('msg-row'); }
  async messageFacts() {
    return this.messages().evaluateAll((rows) => rows.map((r) => ({
      topic: r.dataset.topic, qos: r.dataset.qos, verdict: r.dataset.verdict, dup: r.dataset.dup,
      retain: r.dataset.retain, seq: r.dataset.probeSeq, dead: r.dataset.dead === '1',
      payload: r.querySelector('[data-testid="msg-payload"]').textContent,
      latency: r.querySelector('.latency')?.textContent ?? null,
      latencyMs: r.querySelector('.latency')?.dataset.latencyMs ?? null,
    })));
  }
  async waitMessages(count, timeout = 15_000) {
    await this.page.waitForFunction(
      ([sel, n]) => document.querySelectorAll(sel).length >= n,
      [`[data-testid="device"][data-index="${await this.root.getAttribute('data-index')}"] [data-testid="msg-row"]`, count],
      { timeout },
    );
  }
  async inflight() {
    return this.el('inflight-row').evaluateAll((rows) => rows.map((r) => ({
      direction: r.dataset.direction, id: Number(r.dataset.packetId), remaining: Number(r.dataset.remainingMs),
    })));
  }
}

export async function openPage(browser, pageUrl, broker) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${pageUrl}?broker=${encodeURIComponent(broker.url)}`);
  await page.locator('[data-testid="device"][data-index="0"]').waitFor();
  page.ackscopeErrors = errors;
  return page;
}
