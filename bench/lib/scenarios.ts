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

/**
 * Runs every selected scenario against one started contender. Payload and open-loop points run on
 * the `server` contender only; the sweep runs on all, so the contenders compare point by point.
 */
export async function runScenarios(target: Target, options: BenchOptions, payloads: Map<PayloadName, Payload>): Promise<PointResult[]> {
  const jpeg = payloads.get('jpeg')!
  const wanted = (s: string) => options.scenarios.includes(s as never)
  const isServer = target.contender === 'server'
  const payloadPoints = isServer ? [...payloads.values()].filter((p) => wanted(p.name)) : []
  await sanityCheck(target, [jpeg, ...payloadPoints.filter((p) => p !== jpeg)])
  await runLoad({ url: target.url, payload: jpeg, connections: 16, durationS: options.warmupS, label: 'warm-up', quiet: true })

  const points: PointResult[] = []
  const durationS = options.durationS
  if (wanted('sweep'))
    for (const connections of options.connections)
      points.push(await measurePoint(target, 'sweep', { payload: jpeg, connections, durationS }))
  for (const payload of payloadPoints)
    points.push(await measurePoint(target, 'payload', { payload, connections: options.payloadConnections, durationS }))

  if (isServer && wanted('open-loop')) {
    // Capacity in requests/s of the small JPEG: the sweep's best, or one 64-connection point.
    const sweep = points.filter((p) => p.scenario === 'sweep')
    const probe = sweep.length > 0 ? sweep : [await measurePoint(target, 'capacity', { payload: jpeg, connections: 64, durationS })]
    if (sweep.length === 0) points.push(...probe)
    const capacity = Math.max(...probe.map((p) => p.reqPerS))
    for (const percent of options.ratesPercent) {
      const overallRate = Math.max(1, Math.round((capacity * percent) / 100))
      points.push(
        await measurePoint(target, `open-loop ${percent}%`, {
          payload: jpeg,
          connections: options.openLoopConnections,
          durationS,
          overallRate
        })
      )
    }
  }
  return points
}
