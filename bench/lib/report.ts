/** Markdown table and a hand-written SVG chart for the benchmark results. */

export interface SweepPoint {
  rate: number;
  p99: number;
  pass: boolean;
}

export function svgChart(
  series: Array<{ name: string; color: string; points: SweepPoint[] }>,
  opts: { title: string; thresholdMs: number; subtitle?: string },
): string {
  const W = 760;
  const H = 440;
  const m = { l: 70, r: 170, t: 50, b: 55 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.p99));
  const xMax = niceCeil(Math.max(1, ...all.map((p) => p.rate)));
  const yMinLog = -1; // 0.1 ms
  const yMaxLog = Math.max(2, Math.ceil(Math.log10(Math.max(100, ...all.map((p) => Math.max(p.p99, 0.1))))));
  const x = (v: number) => m.l + (v / xMax) * pw;
  const y = (v: number) => {
    const lv = Math.log10(Math.max(v, 10 ** yMinLog));
    return m.t + ph - ((lv - yMinLog) / (yMaxLog - yMinLog)) * ph;
  };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="${m.l}" y="39" font-size="11" fill="#555">${esc(opts.subtitle)}</text>`);
  // grid + y labels (decades)
  for (let d = yMinLog; d <= yMaxLog; d++) {
    const yy = y(10 ** d);
    out.push(`<line x1="${m.l}" y1="${yy}" x2="${m.l + pw}" y2="${yy}" stroke="#e5e5e5"/>`);
    const label = d < 0 ? `${10 ** d}` : d < 3 ? `${10 ** d}` : `${10 ** (d - 3)} s`;
    out.push(`<text x="${m.l - 8}" y="${yy + 4}" text-anchor="end" fill="#333">${d < 3 ? `${label} ms` : label}</text>`);
  }
  // x ticks
  const step = niceStep(xMax / 6);
  for (let v = 0; v <= xMax + 1e-9; v += step) {
    const xx = x(v);
    out.push(`<line x1="${xx}" y1="${m.t}" x2="${xx}" y2="${m.t + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${xx}" y="${m.t + ph + 18}" text-anchor="middle" fill="#333">${v}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">offered rate (messages/s, whole run)</text>`);
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">p99 end-to-end latency (log scale)</text>`);
  // threshold
  const ty = y(opts.thresholdMs);
  out.push(`<line x1="${m.l}" y1="${ty}" x2="${m.l + pw}" y2="${ty}" stroke="#c00" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${m.l + pw - 4}" y="${ty - 5}" text-anchor="end" fill="#c00">${opts.thresholdMs} ms</text>`);
  // series
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.p99)).sort((a, b) => a.rate - b.rate);
    if (pts.length > 1)
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${x(p.rate).toFixed(1)},${y(p.p99).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      const fill = p.pass ? s.color : '#fff';
      out.push(`<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p.p99).toFixed(1)}" r="4" fill="${fill}" stroke="${s.color}" stroke-width="2"><title>${esc(`${s.name}: ${p.rate} msg/s → p99 ${p.p99} ms`)}</title></circle>`);
    }
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${m.l + pw + 15}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${m.l + pw + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  const ly = m.t + 10 + series.length * 20 + 10;
  out.push(`<circle cx="${m.l + pw + 27}" cy="${ly}" r="4" fill="#fff" stroke="#555" stroke-width="2"/>`);
  out.push(`<text x="${m.l + pw + 46}" y="${ly + 4}" font-size="11">open: lost/failed msgs</text>`);
  out.push(`<text x="${m.l + pw + 46}" y="${ly + 18}" font-size="11">or p99 ≥ ${opts.thresholdMs} ms</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= raw) return k * p;
  return 10 * p;
}
function niceCeil(v: number): number {
  const s = niceStep(v / 6);
  return Math.ceil(v / s) * s;
}

export function mdTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

export function fmt(v: number | undefined | null, digits = 1): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return '∞';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}
