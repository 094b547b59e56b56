/**
 * Paired rounds: on a shared machine one point moves from the next by more than the targets' margins, and the
 * limit's best cell is the luckiest of a dozen such points, so a ratio of two points measured minutes apart says
 * more about the neighbours than about the server. Here each round measures, back to back, the server and the
 * naive baseline at 1 connection, the single-image floor at the limit's chosen thread setting, and the server beside
 * the limit's best cell with as many requests in flight as that cell has images; the targets are judged on the
 * median over rounds of each round's own ratio or difference (lib/paired-targets.ts). The order inside a round
 * alternates, so neither side always goes first. Beside the 1-connection points each round also measures an echo
 * server busy for the floor's p50 (baselines/echo-server.ts): what HTTP alone adds on this host to an in-process time,
 * reported, not judged.
 */
import { echoCommand, HTTP_CONTENDERS, startContender, startEcho } from './contenders'
import { type FloorSetting, formatFloorSetting } from './limit-floor'
import { runLimitProcess } from './limit-runner'
import { measurePoint, type Target } from './measure'
import type { Payload } from './payloads'
import type { LimitPoint, PairedResult, PairedRound, PointResult } from './types'
import type { ServerProcess } from '../../tools/process/launch'

export interface PairedSpec {
  rounds: number
  /** Seconds per HTTP point and per limit cell. */
  durationS: number
  /** Seconds of load before each HTTP point's measured window (the limit's cells have their own warm-up). */
  settleS: number
  /** The limit's best cell: what each round repeats, beside the server at the same number in flight. */
  limitCell: Pick<LimitPoint, 'batchSize' | 'concurrency'>
  /**
   * The floor's thread setting, chosen by the limit: each round measures it alone, for as long as the server's point.
   * Absent (a limit run without a floor): every setting, and the round's best (the minimum of four noisy windows,
   * which sits below the setting's own p50; bench/micro/floor-bias.ts measures by how much).
   */
  floorSetting?: FloorSetting
  /** The echo server's hold, ms (the floor's p50 at that setting); absent: no echo. */
  echoHoldMs?: number
}

const oneConnection = (p: PointResult) => ({ p50: p.latencyMs.p50, reqPerS: p.reqPerS })

async function start(name: 'server' | 'naive', root: string): Promise<ServerProcess> {
  const contender = HTTP_CONTENDERS.find((c) => c.name === name)!
  process.stderr.write(`\npaired: starting ${name}: ${contender.cmd.join(' ')}\n`)
  return startContender(contender, root)
}

export async function runPaired(spec: PairedSpec, jpeg: Payload, root: string): Promise<PairedResult> {
  const started: ServerProcess[] = []
  try {
    const server = await start('server', root)
    started.push(server)
    const naive = await start('naive', root)
    started.push(naive)
    let echo: ServerProcess | undefined
    if (spec.echoHoldMs !== undefined) {
      process.stderr.write(`paired: starting echo: ${echoCommand(spec.echoHoldMs).join(' ')}\n`)
      echo = await startEcho(spec.echoHoldMs, root)
      started.push(echo)
    }
    const targets: Partial<Record<'server' | 'naive' | 'echo', Target>> = {
      server: { contender: 'server', url: server.url, pid: server.pid },
      naive: { contender: 'naive', url: naive.url, pid: naive.pid },
      echo: echo && { contender: 'echo', url: echo.url, pid: echo.pid }
    }
    const point = (name: 'server' | 'naive' | 'echo', connections: number) =>
      measurePoint(targets[name]!, 'paired', { payload: jpeg, connections, durationS: spec.durationS, settleS: spec.settleS })
    // Warm them (first requests pay for lazy set-up), unmeasured.
    for (const name of ['server', 'naive', ...(echo ? ['echo' as const] : [])] as const) await point(name, 4)

    const { batchSize, concurrency } = spec.limitCell
    // As many requests in flight as the limit's cell has images in flight (its loops), not the server's best sweep
    // point: that is the luckiest of five noisy points, and when it is a low concurrency the server would be paired
    // below saturation against a limit running more images at once.
    const saturationConnections = concurrency
    const floorArgs = spec.floorSetting ? ['--floor-setting', formatFloorSetting(spec.floorSetting)] : []
    const limitArgs = ['--duration', String(spec.durationS), '--grid', `${batchSize}x${concurrency}`, '--images', 'jpeg', ...floorArgs]
    const rounds: PairedRound[] = []
    for (let r = 0; r < spec.rounds; r++) {
      process.stderr.write(`paired: round ${r + 1} of ${spec.rounds}\n`)
      const flip = r % 2 === 1
      const lone = flip ? (['naive', 'server'] as const) : (['server', 'naive'] as const)
      const one: Partial<Record<'server' | 'naive', PointResult>> = {}
      for (const name of lone) one[name] = await point(name, 1)
      const echoed = echo && (await point('echo', 1))
      let sat: PointResult | undefined
      if (flip) sat = await point('server', saturationConnections)
      const limit = await runLimitProcess(root, [...limitArgs, '--no-single', '--floor-rounds', '1'])
      if (!flip) sat = await point('server', saturationConnections)
      const floor = limit.floor!.best
      rounds.push({
        server: oneConnection(one.server!),
        naive: oneConnection(one.naive!),
        floor: { p50: floor.latencyMs.p50, intraOpThreads: floor.intraOpThreads, spinning: floor.spinning },
        ...(echoed ? { echo: { holdMs: spec.echoHoldMs!, p50: echoed.latencyMs.p50 } } : {}),
        saturation: {
          server: { imgPerS: sat!.imgPerS, cpuMsPerImage: sat!.serverCpuMsPerImage },
          limit: { imgPerS: limit.best.imgPerS, cpuMsPerImage: limit.best.cpuMsPerImage }
        }
      })
    }
    return { durationS: spec.durationS, saturationConnections, limitCell: { batchSize, concurrency }, rounds }
  } finally {
    await Promise.all(started.map((p) => p.stop()))
  }
}
