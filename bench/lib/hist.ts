/**
 * A small fixed-layout latency histogram (milliseconds), mergeable across processes
 * by adding the bucket arrays. Layout:
 *   [0, 100) ms      in 0.02 ms steps  (5,000 buckets)
 *   [100, 10,000) ms in 1 ms steps     (9,900 buckets)
 *   >= 10,000 ms     one overflow bucket
 * Percentiles are reported as the upper edge of the bucket that holds them (so they never
 * understate), clamped to the exact maximum.
 */
const FINE_STEP = 0.02;
const FINE_END = 100;
const FINE_N = Math.round(FINE_END / FINE_STEP);
const COARSE_STEP = 1;
const COARSE_END = 10_000;
const COARSE_N = Math.round((COARSE_END - FINE_END) / COARSE_STEP);
export const HIST_SIZE = FINE_N + COARSE_N + 1;

export interface HistData {
  buckets: Array<[number, number]>; // sparse: [bucketIndex, count]
  count: number;
  sum: number;
  max: number;
  min: number;
}

export class Histogram {
  buckets = new Float64Array(HIST_SIZE);
  count = 0;
  sum = 0;
  max = 0;
  min = Infinity;

  record(ms: number): void {
    if (!(ms >= 0)) ms = 0; // clock noise across processes can give -0.00x
    let i: number;
    if (ms < FINE_END) i = Math.floor(ms / FINE_STEP);
    else if (ms < COARSE_END) i = FINE_N + Math.floor((ms - FINE_END) / COARSE_STEP);
    else i = HIST_SIZE - 1;
    this.buckets[i]! += 1;
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
  }

  toJSON(): HistData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < HIST_SIZE; i++) if (this.buckets[i]) buckets.push([i, this.buckets[i]!]);
    return { buckets, count: this.count, sum: this.sum, max: this.max, min: this.min };
  }

  static from(d: HistData): Histogram {
    const h = new Histogram();
    h.merge(d);
    return h;
  }

  merge(d: HistData | Histogram): void {
    if (d instanceof Histogram) for (let i = 0; i < HIST_SIZE; i++) this.buckets[i]! += d.buckets[i]!;
    else for (const [i, c] of d.buckets) this.buckets[i]! += c;
    this.count += d.count;
    this.sum += d.sum;
    if (d.max > this.max) this.max = d.max;
    if (d.min < this.min) this.min = d.min;
  }

  /** p in [0, 100]. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const target = Math.max(1, Math.ceil((p / 100) * this.count));
    let acc = 0;
    for (let i = 0; i < HIST_SIZE; i++) {
      acc += this.buckets[i]!;
      if (acc >= target) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count ? round(this.sum / this.count) : NaN,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.max),
    };
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function upperEdge(i: number): number {
  if (i < FINE_N) return (i + 1) * FINE_STEP;
  if (i < FINE_N + COARSE_N) return FINE_END + (i - FINE_N + 1) * COARSE_STEP;
  return Infinity;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}
