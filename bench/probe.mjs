// Preloaded (node --expose-gc --import ./bench/probe.mjs …) into the server under test and the
// baseline relay for the idle-memory phase only. It adds no endpoint and no work on the hot path:
// on SIGUSR2 it runs a full GC and writes process.memoryUsage() to $BENCH_PROBE_FILE.
import { writeFileSync, renameSync } from 'node:fs';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  let n = 0;
  process.on('SIGUSR2', () => {
    const t0 = performance.now();
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    const gcMs = performance.now() - t0;
    const m = process.memoryUsage();
    n += 1;
    writeFileSync(`${file}.tmp`, JSON.stringify({ seq: n, gc: typeof globalThis.gc === 'function', gcMs, ...m }));
    renameSync(`${file}.tmp`, file);
  });
}
