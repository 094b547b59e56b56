/** How large the body budget is (byte-budget.ts), and one client's share of it (client-bytes.ts). */
import { memoryLimit, type MemoryLimit } from '../config/memory-limit'

const MiB = 1024 * 1024

/**
 * The derived default budget is an eighth of the memory the process may use: a body byte costs up to
 * about 3 bytes while it is parsed (JSON text, the parsed string, the decoded image), plus garbage the
 * collector has not taken yet, so the budget's worst case is about half the memory; the other half is the
 * base process (≈ 170 MB), the workers' sessions and the queue. Capped at 96 MiB: under the memory flood
 * (bench/reliability/memory-flood.ts) peak RSS grows with the budget (456–464 MB at 128 MiB before the
 * reclaimer's full collections, 310 MB at 96 MiB with them), and more bytes in flight add no throughput
 * (a few 30 MB bodies at once already keep two cores busy parsing).
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
}

/** The smallest budget that still admits one largest body beside the small-body share. */
export const budgetFloor = (maxBodyBytes: number) => Math.ceil(maxBodyBytes / (1 - SMALL_BODY_SHARE))

/** bodyBudgetBytes, or for 0 the derived default: clamp(memory / 8, floor, 96 MiB), never below the floor. */
export function resolveBodyBudget(
  config: { bodyBudgetBytes: number; maxBodyBytes: number },
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
  const derived = Math.min(BUDGET_CAP_BYTES, Math.floor(memory.bytes * BUDGET_MEMORY_FRACTION))
  return { bytes: Math.max(budgetFloor(config.maxBodyBytes), derived), derivedFrom: memory }
}

/** Where the budget came from, for the startup log: "BUN_INFER_BODY_BUDGET_BYTES" or e.g. "max(min(cgroup v2 536870912 / 8, 96 MiB), max body × 4/3)". */
export function describeBudget(budget: ResolvedBudget): string {
  const from = budget.derivedFrom
  return from ? `max(min(${from.source} ${from.bytes} / 8, ${BUDGET_CAP_BYTES / MiB} MiB), max body × 4/3)` : 'BUN_INFER_BODY_BUDGET_BYTES'
}

/** The default per-client share (client-bytes.ts) is a quarter of the budget. */
export const CLIENT_SHARE_FRACTION = 1 / 4

/**
 * bodyBudgetPerClientBytes, or for 0 the default: a quarter of the budget, never less than one largest body with a
 * small one beside it (a client sending one large upload can still send a photo), and at most the whole budget.
 */
export function resolveClientShare(config: { bodyBudgetPerClientBytes?: number; maxBodyBytes: number }, budgetBytes: number): number {
  const configured = config.bodyBudgetPerClientBytes ?? 0
  if (configured > 0) {
    if (configured < config.maxBodyBytes)
      throw new Error(
        `invalid config BUN_INFER_BODY_BUDGET_PER_CLIENT_BYTES=${configured}: below BUN_INFER_MAX_BODY_BYTES=${config.maxBodyBytes}, so one client's largest body would fit only while the budget is nearly empty`
      )
    return Math.min(configured, budgetBytes)
  }
  return Math.min(budgetBytes, Math.max(config.maxBodyBytes + SMALL_BODY_BYTES, Math.ceil(budgetBytes * CLIENT_SHARE_FRACTION)))
}
