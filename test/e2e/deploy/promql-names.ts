/** What a PromQL expression reads: each metric name with the label names its selector matches on. */
export interface MetricUse {
  metric: string
  labels: string[]
}

// Names PromQL itself or Prometheus brings (functions, keywords, the `up` series of every target).
const NOT_METRICS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'increase',
  'irate',
  'histogram_quantile',
  'topk',
  'bottomk',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'le',
  'abs',
  'clamp_min',
  'vector'
])
const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/g
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g

/** Metric names and matched label names in an expression; label lists after by/without are skipped. */
export function metricUses(expr: string): MetricUse[] {
  const uses: MetricUse[] = []
  // Grouping clauses and string literals name labels and values, not metrics.
  const stripped = expr.replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ')
  for (const [, name, selector] of stripped.matchAll(SELECTOR)) {
    if (NOT_METRICS.has(name!) || /^\d/.test(name!)) continue
    const labels = [...(selector ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(MATCHER)].map((m) => m[1]!)
    uses.push({ metric: name!, labels })
  }
  return uses
}
