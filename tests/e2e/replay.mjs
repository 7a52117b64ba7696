// Replay equals live (issue 15): after any scenario whose page shows findings, its recording
// is exported and opened in a fresh page; the findings recomputed there from the recorded
// events by the same core code must be the ones the live page showed when it was exported.
// run.mjs calls this after every scenario; a scenario opts out only with a written reason
// (`replay: { skip: 'why' }`).
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertEq } from './harness.mjs';

/** (device index, rule, severity) of every finding the page shows, sorted. */
async function shown(page) {
  const rows = await page.locator('[data-testid="diag-finding"]').evaluateAll((els) =>
    els.map((r) => `${r.dataset.device}:${r.dataset.rule}:${r.dataset.severity}`));
  return rows.sort();
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Downloads the page's recording; resolves with its file and its parsed JSON. */
async function exportRecording(page, dir) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid="recording-export"]').click(),
  ]);
  const file = path.join(dir, download.suggestedFilename());
  await download.saveAs(file);
  const raw = await readFile(file);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  return { file, recording: JSON.parse(text) };
}

/** The check itself. Returns null when the page shows no findings (nothing to compare),
 *  else the findings compared. Throws when the replay differs from the live page. */
export async function replayEqualsLive(browser, siteUrl, page) {
  if (page.isClosed() || (await shown(page)).length === 0) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'ackscope-replay-'));
  // The live list is reviewed every second and some findings hold only after a settle time
  // or until a clock runs out: the export must be taken while the list stands still (the
  // same before, in the file, and after). A moving list is tried again on the next review.
  let live; let exported; let recorded;
  for (let attempt = 1; ; attempt += 1) {
    live = await shown(page);
    exported = await exportRecording(page, dir);
    recorded = exported.recording.findings.map((f) => `${f.device}:${f.rule}:${f.severity}`).sort();
    const after = await shown(page);
    if (same(live, recorded) && same(after, recorded)) break;
    if (attempt === 4) {
      throw new Error(`replay check: the live findings never stood still around an export\n  shown    ${JSON.stringify(live)}\n  exported ${JSON.stringify(recorded)}\n  then     ${JSON.stringify(after)}`);
    }
    await page.waitForTimeout(1_100); // the next review of the live list (REVIEW_MS)
  }
  const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  fresh.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fresh.goto(siteUrl);
    await fresh.locator('[data-testid="device"][data-index="0"]').waitFor();
    await fresh.locator('[data-testid="recording-open"]').setInputFiles(exported.file);
    await fresh.locator('[data-testid="page-mode"][data-mode="recording"]').waitFor({ timeout: 30_000 });
    const check = fresh.locator('[data-testid="recording-findings-check"]');
    await check.waitFor();
    assertEq(await shown(fresh), live, 'replay check: the findings recomputed from the recording are the ones shown live');
    assertEq(await check.getAttribute('data-equal'), '1', 'replay check: the page found them equal to those recorded');
    assertEq(errors.filter((e) => e.includes('panicked')), [], 'replay check: the fresh page did not panic');
  } finally {
    await fresh.close();
  }
  return live;
}
