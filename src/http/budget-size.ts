/** How large the body budget is (byte-budget.ts), and one client's share of it (client-bytes.ts). */
import { memoryLimit, type MemoryLimit } from '../config/memory-limit'
import type { Config } from '../config/schema'
import { processCount } from '../processes/count'

const MiB = 1024 * 1024

/**
 * The derived default budget is an eighth of the memory the process may use: a body byte costs up to
 * about 3 bytes while it is parsed (JSON text, the parsed string, the decoded image), plus garbage the
 * collector has not taken yet, so the budget's worst case is about half the memory; the other half is the
 * base process, the workers' sessions and the queue. Capped at 96 MiB: under a flood of large bodies
 * (bench/reliability/memory-flood.ts) peak RSS grows with the budget, while more bytes in flight add no
 * throughput, since a few large bodies at once already keep the cores busy parsing.
 */
export const BUDGET_MEMORY_FRACTION = 1 / 8
export const BUDGET_CAP_BYTES = 96 * MiB
/** Bodies up to this size are "small" (every photo a camera takes): they alone may use the small-body share. */
export const SMALL_BODY_BYTES = 1 * MiB
/** The share of the budget only small bodies may use, so a flood of large bodies cannot starve ordinary photos. */
export const SMALL_BODY_SHARE = 1 / 4

export interface ResolvedBudget {
  bytes: number
  /** Set when the budget was derived (setting 0) rather than configured. */
  derivedFrom?: MemoryLimit
  /** Server processes sharing that memory (BUN_INFER_PROCESSES); absent when this process has it alone. */
  processes?: number
}

/** The smallest budget that still admits one largest body beside the small-body share. */
export const budgetFloor = (maxBodyBytes: number) => Math.ceil(maxBodyBytes / (1 - SMALL_BODY_SHARE))

/**
 * bodyBudgetBytes, or for 0 the derived default: clamp(memory / 8, floor, 96 MiB), never below the floor. Server
 * processes sharing one container (BUN_INFER_PROCESSES) each derive theirs from an equal share of its memory.
 */
export function resolveBodyBudget(
  config: { bodyBudgetBytes: number; maxBodyBytes: number; processes?: Config['processes'] },
  limit: () => MemoryLimit = memoryLimit
): ResolvedBudget {
  if (config.bodyBudgetBytes > 0) {
    if (config.bodyBudgetBytes < config.maxBodyBytes)
      throw new Error(
        `invalid config BUN_INFER_BODY_BUDGET_BYTES=${config.bodyBudgetBytes}: below BUN_INFER_MAX_BODY_BYTES=${config.maxBodyBytes}, so a largest body could never be read`
      )
    return { bytes: config.bodyBudgetBytes }
  }
  const memory = limit()
  const processes = processCount(config.processes ?? 1)
  const derived = Math.min(BUDGET_CAP_BYTES, Math.floor((memory.bytes * BUDGET_MEMORY_FRACTION) / processes))
  return { bytes: Math.max(budgetFloor(config.maxBodyBytes), derived), derivedFrom: memory, ...(processes > 1 && { processes }) }
}

/** Where the budget came from, for the startup log: "BUN_INFER_BODY_BUDGET_BYTES" or e.g. "max(min(cgroup v2 536870912 / 8, 96 MiB), max body × 4/3)". */
export function describeBudget(budget: ResolvedBudget): string {
  const from = budget.derivedFrom
  const share = budget.processes ? ` / ${budget.processes} processes` : ''
  return from
    ? `max(min(${from.source} ${from.bytes} / 8${share}, ${BUDGET_CAP_BYTES / MiB} MiB), max body × 4/3)`
    : 'BUN_INFER_BODY_BUDGET_BYTES'
}

/** What bodies over SMALL_BODY_BYTES may bring the budget's use up to; never less than one largest body. */
export const largeBodyLimit = (budgetBytes: number, maxBodyBytes: number) =>
  Math.max(Math.min(budgetBytes, maxBodyBytes), Math.floor(budgetBytes * (1 - SMALL_BODY_SHARE)))

/** The default per-client share (client-bytes.ts) is at most a quarter of the budget. */
export const CLIENT_SHARE_FRACTION = 1 / 4

/**
 * bodyBudgetPerClientBytes, or for 0 the default. A client over its share may only use room that leaves one share
 * free, so the share is what every other client can still send while one client floods. The default is one largest
 * image with a small body beside it, at most a quarter of the budget, and small enough that a client alone (or every
 * client behind a proxy that is not trusted) can still send a largest body and use most of the large-body room;
 * where no such share exists (a budget near its floor) there is none. A configured share must keep that promise too.
 */
export function resolveClientShare(
  config: { bodyBudgetPerClientBytes?: number; maxBodyBytes: number; maxImageBytes: number },
  budgetBytes: number
): number {
  const leavesLargestBody = largeBodyLimit(budgetBytes, config.maxBodyBytes) - config.maxBodyBytes
  const configured = config.bodyBudgetPerClientBytes ?? 0
  if (configured > 0) {
    if (configured < config.maxBodyBytes && configured > leavesLargestBody)
      throw new Error(
        `invalid config BUN_INFER_BODY_BUDGET_PER_CLIENT_BYTES=${configured}: a client alone could never send a largest body (BUN_INFER_MAX_BODY_BYTES=${config.maxBodyBytes}); use at most ${Math.max(0, leavesLargestBody)} or at least ${config.maxBodyBytes}`
      )
    return Math.min(configured, budgetBytes)
  }
  const share = Math.min(Math.ceil(budgetBytes * CLIENT_SHARE_FRACTION), config.maxImageBytes + SMALL_BODY_BYTES, leavesLargestBody)
  return share >= SMALL_BODY_BYTES ? share : budgetBytes
}
