// CPU time by thread, read from /proc (Linux): where a drain's work goes, page by page.
//
// Why: the drain's wall time swings by a third from run to run on this 2-core machine, while
// the CPU each part of Chromium and the broker spend on it is steadier, and tells which of
// them a page makes work harder (the socket worker, the renderer's thread pool that runs V8's
// optimizing compiler, the network service...). Ticks are 10 ms (USER_HZ 100).
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10;

/** utime + stime of a /proc/.../stat line, and its process group. */
function stat(file) {
  const s = readFileSync(file, 'utf8');
  const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
  // Fields after the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime ...
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { name, pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) };
}

/** The renderer's threads by what they do (Linux cuts thread names at 15 characters). */
function rendererThread(name) {
  if (name === 'chromium' || name === 'chrome') return 'main';
  if (name.startsWith('DedicatedWorker')) return 'worker';
  if (name.startsWith('ThreadPool')) return 'pool';
  if (name.startsWith('Chrome_ChildIOT')) return 'io';
  if (name.startsWith('Compositor')) return 'compositor';
  return 'renderer other';
}

/**
 * CPU ticks so far of Chromium's processes (process group `chromium`), split by process type
 * and, for renderers, by thread; and of the process `brokerPid`.
 */
export function cpuTicks(chromium, brokerPid) {
  const out = {};
  const add = (k, t) => { out[k] = (out[k] ?? 0) + t; };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (Number(pid) === brokerPid) { add('broker', stat(`/proc/${pid}/stat`).ticks); continue; }
      const p = stat(`/proc/${pid}/stat`);
      if (p.pgrp !== chromium) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = cmd.match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
      if (type === 'renderer') {
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          const t = stat(`/proc/${pid}/task/${tid}/stat`);
          add(rendererThread(t.name), t.ticks);
        }
      } else if (type === 'utility' && cmd.includes('network.mojom.NetworkService')) {
        add('network', p.ticks);
      } else {
        add('browser+gpu', p.ticks);
      }
    } catch { /* the process or thread ended meanwhile */ }
  }
  return out;
}

/** Milliseconds of CPU between two `cpuTicks` readings, by part, and their total. */
export function cpuSpent(before, after) {
  const ms = {};
  for (const k of Object.keys(after)) ms[k] = Math.max(0, after[k] - (before[k] ?? 0)) * TICK_MS;
  ms.total = Object.values(ms).reduce((a, b) => a + b, 0);
  return ms;
}

/** The parts, in print order, with their labels. */
export const CPU_PARTS = [
  ['main', 'page main'], ['worker', 'socket worker'], ['pool', 'renderer pool'], ['io', 'renderer IO'],
  ['compositor', 'compositor'], ['renderer other', 'renderer other'], ['network', 'network service'],
  ['browser+gpu', 'browser+GPU'], ['broker', 'mosquitto'],
];
