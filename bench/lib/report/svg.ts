/** A self-contained SVG: latency (p50 solid, p99 dashed) against throughput per contender, and the server's batch sizes. */
import type { BenchReport, PointResult } from '../types'
import { coresText } from './markdown'

const COLORS: Record<string, string> = { naive: '#d62728', 'batch-off': '#ff7f0e', server: '#1f77b4', limit: '#555555' }
const SHADES = ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c', '#08306b']
const W = 1000
const H = 440
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`

interface Box {
  x: number
  y: number
  w: number
  h: number
}

/** Nice round ticks for a linear axis from 0 to max. */
function linearTicks(max: number): number[] {
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1))
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, i) => i * nice)
}

function latencyPanel(report: BenchReport, box: Box): string[] {
  const series = report.contenders
    .map((c) => ({ name: c.name, points: c.points.filter((p) => p.scenario === 'sweep' && p.requests2xx > 0) }))
    .filter((s) => s.points.length > 0)
  const limit = report.limit
  const all = series.flatMap((s) => s.points)
  const xMax = Math.max(1, ...all.map((p) => p.imgPerS), limit?.best.imgPerS ?? 0) * 1.08
  const lat = all.flatMap((p) => [p.latencyMs.p50, p.latencyMs.p99]).concat(limit ? [limit.single.latencyMs.p50] : [])
  const lo = Math.floor(Math.log10(Math.max(0.1, Math.min(...lat))))
  const hi = Math.ceil(Math.log10(Math.max(1, ...lat)))
  const sx = (v: number) => box.x + (v / xMax) * box.w
  const sy = (ms: number) => box.y + box.h - ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * box.h
  const out = [`<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#999"/>`]
  for (let e = lo; e <= hi; e++) {
    out.push(`<line x1="${box.x}" x2="${box.x + box.w}" y1="${sy(10 ** e)}" y2="${sy(10 ** e)}" stroke="#eee"/>`)
    out.push(text(box.x - 6, sy(10 ** e) + 4, `${10 ** e}`, 'text-anchor="end"'))
  }
  for (const t of linearTicks(xMax)) out.push(text(sx(t), box.y + box.h + 16, String(t), 'text-anchor="middle"'))
  out.push(
    text(
      box.x + box.w / 2,
      box.y + box.h + 34,
      'throughput, images/s (chelsea.jpg, multipart; labels = connections)',
      'text-anchor="middle"'
    )
  )
  out.push(
    text(
      box.x - 40,
      box.y + box.h / 2,
      'latency, ms (log)',
      `transform="rotate(-90 ${box.x - 40} ${box.y + box.h / 2})" text-anchor="middle"`
    )
  )
  if (limit) {
    const x = sx(limit.best.imgPerS)
    out.push(`<line x1="${x}" x2="${x}" y1="${box.y}" y2="${box.y + box.h}" stroke="${COLORS.limit}" stroke-dasharray="2 3"/>`)
    out.push(text(x - 4, box.y + 14, `limit ${limit.best.imgPerS} img/s`, `text-anchor="end" fill="${COLORS.limit}"`))
    const y = sy(limit.single.latencyMs.p50)
    out.push(`<path d="M${sx(limit.single.imgPerS)} ${y - 6} l6 6 l-6 6 l-6 -6 z" fill="${COLORS.limit}"/>`)
    out.push(text(sx(limit.single.imgPerS) + 9, y + 18, `limit, 1 image: ${limit.single.latencyMs.p50} ms`, `fill="${COLORS.limit}"`))
  }
  for (const s of series) {
    const color = COLORS[s.name] ?? '#000'
    const pts = [...s.points].sort((a, b) => a.connections - b.connections)
    const line = (get: (p: PointResult) => number) => pts.map((p) => `${sx(p.imgPerS).toFixed(1)},${sy(get(p)).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${line((p) => p.latencyMs.p50)}" fill="none" stroke="${color}" stroke-width="2"/>`)
    out.push(`<polyline points="${line((p) => p.latencyMs.p99)}" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 4"/>`)
    for (const p of pts) {
      out.push(`<circle cx="${sx(p.imgPerS)}" cy="${sy(p.latencyMs.p50)}" r="3.5" fill="${color}"/>`)
      out.push(`<rect x="${sx(p.imgPerS) - 3}" y="${sy(p.latencyMs.p99) - 3}" width="6" height="6" fill="none" stroke="${color}"/>`)
      out.push(text(sx(p.imgPerS) + 5, sy(p.latencyMs.p50) - 5, String(p.connections), `fill="${color}" font-size="10"`))
    }
  }
  series.forEach((s, i) => {
    const y = box.y + 16 + i * 16
    out.push(
      `<line x1="${box.x + 10}" x2="${box.x + 34}" y1="${y - 4}" y2="${y - 4}" stroke="${COLORS[s.name] ?? '#000'}" stroke-width="2"/>`
    )
    out.push(text(box.x + 40, y, s.name))
  })
  out.push(text(box.x + 10, box.y + 16 + series.length * 16, '— p50   - - p99', 'fill="#666"'))
  return out
}

/** Batch sizes a histogram bucket holds: "1", "2", "3–4", "5–8", …, ">128". */
function bucketLabel(buckets: string[], index: number): string {
  const le = buckets[index]!
  const below = index > 0 ? Number(buckets[index - 1]) : 0
  if (le === '+Inf') return `>${below}`
  return Number(le) - below <= 1 ? le : `${below + 1}–${le}`
}

function batchPanel(report: BenchReport, box: Box): string[] {
  const points = (report.contenders.find((c) => c.name === 'server')?.points ?? []).filter(
    (p) => p.scenario === 'sweep' && p.metrics && p.metrics.batches > 0
  )
  const out = [`<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#999"/>`]
  out.push(text(box.x + box.w / 2, box.y + box.h + 34, 'images per batch (server), share of batches', 'text-anchor="middle"'))
  if (points.length === 0) return [...out, text(box.x + 10, box.y + 20, 'no batch metrics')]
  const all = Object.keys(points[0]!.metrics!.batchSizeHistogram)
  // Trim the empty buckets above the largest batch seen.
  const used = all.filter((le) => points.some((p) => (p.metrics!.batchSizeHistogram[le] ?? 0) > 0))
  const buckets = all.slice(0, all.indexOf(used.at(-1) ?? all[0]!) + 1)
  const group = box.w / buckets.length
  const bar = (group * 0.8) / points.length
  const sy = (share: number) => box.y + box.h - share * box.h
  for (const share of [0, 0.25, 0.5, 0.75, 1]) out.push(text(box.x - 6, sy(share) + 4, `${share * 100}%`, 'text-anchor="end"'))
  buckets.forEach((le, b) => {
    out.push(text(box.x + group * (b + 0.5), box.y + box.h + 16, bucketLabel(buckets, b), 'text-anchor="middle"'))
    points.forEach((p, i) => {
      const share = (p.metrics!.batchSizeHistogram[le] ?? 0) / p.metrics!.batches
      const x = box.x + group * b + group * 0.1 + i * bar
      out.push(
        `<rect x="${x.toFixed(1)}" y="${sy(share).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${(share * box.h).toFixed(1)}" fill="${SHADES[i % SHADES.length]}"/>`
      )
    })
  })
  points.forEach((p, i) => {
    const y = box.y + 16 + i * 15
    out.push(`<rect x="${box.x + box.w - 128}" y="${y - 9}" width="10" height="10" fill="${SHADES[i % SHADES.length]}"/>`)
    out.push(text(box.x + box.w - 113, y, `${p.connections} conn, mean ${p.metrics!.meanBatchSize.toFixed(1)}`, 'font-size="10"'))
  })
  return out
}

/** The chart as one SVG document (no external fonts, scripts or images). */
export function renderSvg(report: BenchReport): string {
  const m = report.machine
  const title = `bun-infer · ${m.cpuModel}, ${coresText(m)} · ${report.startedAt}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    text(20, 18, title, 'font-size="13" font-weight="bold"'),
    text(20, 32, report.command, 'font-size="10" fill="#666"'),
    ...latencyPanel(report, { x: 70, y: 40, w: 520, h: 340 }),
    ...batchPanel(report, { x: 650, y: 40, w: 330, h: 340 }),
    '</svg>'
  ].join('\n')
}
