/**
 * A deployment's namespace in the shared Redis (BUN_INFER_CACHE_NAMESPACE): letters, digits, `_`, `.`, `-`.
 * No `:`, so the namespace is whatever precedes the first `:` of a Redis key and two namespaces can never
 * produce the same key (staging and production on one Redis never answer for each other).
 */
export const CACHE_NAMESPACE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'

const NAMESPACE = new RegExp(CACHE_NAMESPACE_PATTERN)

/** The prefix of every Redis key a deployment reads or writes; an ACL can confine its user to `<namespace>:*`. */
export function sharedKeyPrefix(namespace: string): string {
  if (!NAMESPACE.test(namespace)) throw new RangeError(`cache namespace ${JSON.stringify(namespace)} must match ${CACHE_NAMESPACE_PATTERN}`)
  return `${namespace}:result:`
}
