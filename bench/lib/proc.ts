import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* default 100 */
}

/** utime + stime of a process (all its threads), in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const c = cpuSplitMs(pid);
  return c.user + c.sys;
}

/** utime and stime separately (ms). */
export function cpuSplitMs(pid: number): { user: number; sys: number } {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces; fields after the closing paren start at field 3 (state)
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return { user: (utime * 1000) / clkTck, sys: (stime * 1000) / clkTck };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

/** Resident set size in bytes from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Whole-machine busy and total jiffies from /proc/stat, for a utilisation figure. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function nofileLimit(): { soft: number; hard: number } {
  try {
    const s = readFileSync('/proc/self/limits', 'utf8');
    const m = /Max open files\s+(\S+)\s+(\S+)/.exec(s);
    const n = (x: string | undefined) => (x === 'unlimited' ? Infinity : Number(x));
    return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: NaN, hard: NaN };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
