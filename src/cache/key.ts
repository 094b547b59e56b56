/**
 * The cache key for one request: everything that changes the answer (model, version, top_k) in clear,
 * then the SHA-256 of the image bytes.
 *
 * Why SHA-256 rather than a 64-bit hash (Bun.hash and xxHash3 are much faster): keys are shared across
 * replicas through Redis, so a collision serves one client's answer to another. Collisions of a 64-bit
 * non-cryptographic hash with a public seed can be crafted on purpose (cache poisoning); SHA-256's cannot.
 * The cost is small beside decoding the same image (src/cache/README.md says how to measure it).
 *
 * The name parts are URI-encoded so a "/" inside a model name cannot make two different tuples one key.
 * `version` is whatever identifies the model version; the server passes `versionId()`'s, which carries the
 * model file's digest (see cacheKeyFor).
 */
export function cacheKey(imageBytes: Uint8Array, model: string, version: string, topK: number): string {
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be a positive integer, got ${topK}`)
  return `${encodeURIComponent(model)}/${encodeURIComponent(version)}/k${topK}/${imageDigest(imageBytes)}`
}

/** The SHA-256 of an image's bytes, in hex: the end of its cache key, and what the prediction log keeps of it. */
export function imageDigest(imageBytes: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(imageBytes).digest('hex')
}

/** What a key needs of a model version: its name and number, and the SHA-256 (hex) of its model.onnx. */
export interface KeyedModel {
  readonly name: string
  readonly version: number
  readonly modelDigest: string
}

/**
 * The version part of a key: the number, `+raw` for scores as the model outputs them (a different answer
 * from softmaxed ones), and the model file's digest. The digest is there because "mobilenetv2:1" names a
 * folder, not a graph: two builds (or a re-exported file in place) must never answer for each other.
 */
export function versionId(model: KeyedModel, rawScores = false): string {
  if (!/^[0-9a-f]{64}$/.test(model.modelDigest)) throw new RangeError(`model ${model.name}: modelDigest must be 64 hex digits`)
  return `${model.version}${rawScores ? '+raw' : ''}@${model.modelDigest}`
}

/** The key of one image's answer from `model` (the predictor's call). */
export function cacheKeyFor(imageBytes: Uint8Array, model: KeyedModel, topK: number, rawScores = false): string {
  return cacheKey(imageBytes, model.name, versionId(model, rawScores), topK)
}
