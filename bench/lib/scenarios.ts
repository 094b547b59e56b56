/** The load points one HTTP contender goes through: sanity check, warm-up, sweep, payloads, open loop. */
import type { BenchOptions } from './args'
import { requestHeaders, runLoad } from './load'
import { measurePoint, type Target } from './measure'
import type { Payload, PayloadName } from './payloads'
import type { PointResult } from './types'

/** Domestic-cat classes of ImageNet: chelsea.jpg must land in one of them. */
const CAT_CLASSES = [281, 282, 283, 284, 285]

/** One request per payload before any load: a contender that answers wrongly is reported, not timed blindly. */
async function sanityCheck(target: Target, payloads: Payload[]): Promise<void> {
  for (const payload of payloads) {
    const response = await fetch(`${target.url}${payload.path}`, {
      method: 'POST',
      headers: requestHeaders(payload),
      body: new Uint8Array(payload.body)
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${target.contender}: ${payload.name} → HTTP ${response.status}: ${text.slice(0, 300)}`)
    const body = JSON.parse(text) as {
      predictions?: { class_index: number }[][]
      metadata?: { cached?: boolean }
      outputs?: { data: string[] }[]
    }
    if (body.metadata?.cached)
      throw new Error(`${target.contender}: ${payload.name} was answered from the result cache despite Cache-Control: no-store`)
    // /v1: predictions[0][0]; /v2 classification extension: "score:index:label" strings, best first.
    const top = body.predictions?.[0]?.[0]?.class_index ?? Number(body.outputs?.[0]?.data[0]?.split(':')[1])
    if (payload.image === 'jpeg' && !CAT_CLASSES.includes(top ?? -1))
      throw new Error(`${target.contender}: ${payload.name} → top-1 class ${top}, expected a domestic cat (281–285)`)
  }
}

/** Sanity check and warm-up of one started contender, before any point is measured. */
export async function prepare(target: Target, options: BenchOptions, payloads: Map<PayloadName, Payload>): Promise<void> {
  const jpeg = payloads.get('jpeg')!
  const extra = target.contender === 'server' ? serverPayloads(options, payloads).filter((p) => p !== jpeg) : []
  await sanityCheck(target, [jpeg, ...extra])
  await runLoad({ url: target.url, payload: jpeg, connections: 16, durationS: options.warmupS, label: 'warm-up', quiet: true })
}

const wanted = (options: BenchOptions, s: string) => options.scenarios.includes(s as never)
const serverPayloads = (options: BenchOptions, payloads: Map<PayloadName, Payload>) =>
  [...payloads.values()].filter((p) => wanted(options, p.name))

/**
 * The sweep over every started contender, point by point: at each concurrency every contender in turn (the
 * order rotating from one concurrency to the next), so the contenders of one point are measured minutes apart
 * at most, not a whole contender's run apart: on a shared machine a neighbour's burst then lands on every
 * contender of a point rather than on one. Returns each contender's points in sweep order.
 */
export async function runSweep(targets: Target[], options: BenchOptions, payloads: Map<PayloadName, Payload>): Promise<PointResult[][]> {
  const jpeg = payloads.get('jpeg')!
  const points: PointResult[][] = targets.map(() => [])
  if (!wanted(options, 'sweep')) return points
  for (const [k, connections] of options.connections.entries())
    for (let i = 0; i < targets.length; i++) {
      const j = (i + k) % targets.length
      points[j]!.push(
        await measurePoint(targets[j]!, 'sweep', { payload: jpeg, connections, durationS: options.durationS, settleS: options.settleS })
      )
    }
  return points
}

/** The server's own scenarios after the sweep: one point per payload, then the open loop at rates of its capacity. */
export async function runServerScenarios(
  target: Target,
  options: BenchOptions,
  payloads: Map<PayloadName, Payload>,
  sweep: PointResult[]
): Promise<PointResult[]> {
  const jpeg = payloads.get('jpeg')!
  const points: PointResult[] = []
  const durationS = options.durationS
  for (const payload of serverPayloads(options, payloads))
    points.push(
      await measurePoint(target, 'payload', { payload, connections: options.payloadConnections, durationS, settleS: options.settleS })
    )

  if (wanted(options, 'open-loop')) {
    // Capacity in requests/s of the small JPEG: the sweep's best, or one 64-connection point.
    const probe =
      sweep.length > 0
        ? sweep
        : [await measurePoint(target, 'capacity', { payload: jpeg, connections: 64, durationS, settleS: options.settleS })]
    if (sweep.length === 0) points.push(...probe)
    const capacity = Math.max(...probe.map((p) => p.reqPerS))
    for (const percent of options.ratesPercent) {
      const overallRate = Math.max(1, Math.round((capacity * percent) / 100))
      points.push(
        await measurePoint(target, `open-loop ${percent}%`, {
          payload: jpeg,
          connections: options.openLoopConnections,
          durationS,
          settleS: options.settleS,
          overallRate
        })
      )
    }
  }
  return points
}
