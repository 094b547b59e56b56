import { Elysia } from 'elysia'
import { AppError } from '../errors'
import type { WorkerFault } from '../inference/protocol'

export const FAULT_HEADER = 'x-bun-infer-fault'

const FAULTS = ['crash', 'hang', 'internal', 'gc'] as const

/**
 * Test-only: reads `x-bun-infer-fault` on predict requests. Registered only when fault injection is enabled;
 * without it the header means nothing and costs nothing.
 * - crash / hang: the next batch's worker exits or spins (arms the FaultInjectingRunner);
 * - internal: the handler throws a plain Error (proves a 500 leaks no path or stack);
 * - gc: a full collection first (lets a memory test tell garbage not yet collected from a leak).
 */
export function faultPlugin(arm: (fault: WorkerFault) => void) {
  return new Elysia({ name: 'faults' }).onBeforeHandle({ as: 'global' }, ({ request }) => {
    const fault = request.headers.get(FAULT_HEADER)
    if (fault === null) return
    if (!(FAULTS as readonly string[]).includes(fault))
      throw new AppError('validation_failed', `${FAULT_HEADER} must be one of ${FAULTS.join(', ')}`)
    if (fault === 'internal') throw new Error(`injected fault at ${import.meta.path}`)
    if (fault === 'gc') Bun.gc(true)
    else arm(fault as WorkerFault)
  })
}
