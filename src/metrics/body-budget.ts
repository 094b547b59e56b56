import { Gauge, type Registry } from 'prom-client'
import type { ByteBudget } from '../http/byte-budget'
import { countFrom, PREFIX } from './collected'

/**
 * The body budget on /metrics: its size and what is in flight (gauges read at scrape time), and the
 * requests it refused. Registered by the predict routes, which own the budget.
 */
export function registerBodyBudgetMetrics(registry: Registry, budget: ByteBudget): void {
  new Gauge({
    name: `${PREFIX}body_budget_bytes`,
    help: "The request-body budget (limit), one client's share of it (client_share), and the body bytes reserved now (in_flight).",
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.set({ kind: 'limit' }, budget.totalBytes)
      this.set({ kind: 'client_share' }, budget.clientShareBytes)
      this.set({ kind: 'in_flight' }, budget.usedBytes)
    }
  })
  countFrom(
    registry,
    'body_budget_refused_total',
    'Bodies refused with 429 body_budget_full because they did not fit (before reading, or mid-stream when chunked).',
    () => budget.refusals
  )
  countFrom(
    registry,
    'body_budget_client_share_refused_total',
    'Of the refused bodies, those refused because their client already held its share of the budget.',
    () => budget.clientShareRefusals
  )
}
