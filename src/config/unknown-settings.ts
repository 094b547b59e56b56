import { ENV_PREFIX, envName, RENAMED_ENV } from './load'
import { ConfigSchema } from './schema'

/** Every BUN_INFER_ variable the server reads: the settings, and the old names still read for one release. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(ConfigSchema.properties).map(envName),
  ...Object.keys(RENAMED_ENV)
])

/**
 * BUN_INFER_ variables the server does not read (a typo such as BUN_INFER_WORKER, or a setting this version does not
 * have), each with the known name nearest to it when one is close: a setting that is silently ignored leaves the
 * server running with a default the operator did not choose.
 */
export function unknownSettings(env: Record<string, string | undefined>): Array<{ variable: string; nearest?: string }> {
  return Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !KNOWN_VARIABLES.has(name))
    .sort()
    .map((variable) => ({ variable, nearest: nearest(variable) }))
}

/** The known variable at the smallest edit distance, if within a third of the name's own length (past the prefix). */
function nearest(variable: string): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of KNOWN_VARIABLES) {
    const distance = editDistance(variable.slice(ENV_PREFIX.length), name.slice(ENV_PREFIX.length))
    if (!best || distance < best.distance) best = { name, distance }
  }
  return best && best.distance <= Math.max(2, Math.floor((variable.length - ENV_PREFIX.length) / 3)) ? best.name : undefined
}

/** Levenshtein distance: insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}

/** One line for an error or a warning: `BUN_INFER_WORKER (did you mean BUN_INFER_WORKERS?)`. */
export function describeUnknown(unknown: { variable: string; nearest?: string }): string {
  return unknown.nearest ? `${unknown.variable} (did you mean ${unknown.nearest}?)` : unknown.variable
}
