// Preloaded (node --expose-gc --import ./bench/probe.mjs …) into the server under test and the
// baseline relay for the idle-memory phase only. It adds no endpoint and no work on the hot path:
// on SIGUSR2 it runs a full GC and writes process.memoryUsage() to $BENCH_PROBE_FILE.
// With $BENCH_PROBE_SNAPSHOT_DIR set it also writes a V8 heap snapshot there after the GC
// (`npm run bench -- --heap-snapshots`; compare two with `bench/heap-diff.mjs`).
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const file = process.env.BENCH_PROBE_FILE;
const snapshotDir = process.env.BENCH_PROBE_SNAPSHOT_DIR;
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
    // after memoryUsage(): the snapshot itself allocates
    const snapshot = snapshotDir ? writeHeapSnapshot(join(snapshotDir, `probe-${process.pid}-${n}.heapsnapshot`)) : undefined;
    writeFileSync(`${file}.tmp`, JSON.stringify({ seq: n, gc: typeof globalThis.gc === 'function', gcMs, snapshot, ...m }));
    renameSync(`${file}.tmp`, file);
  });
}
