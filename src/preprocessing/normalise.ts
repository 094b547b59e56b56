/** (x / scale − mean) / std per RGB channel. */
export interface Normalisation {
  scale: number
  mean: readonly number[]
  std: readonly number[]
}

/**
 * Per-channel lookup tables: uint8 value → normalised float. 3 × 256 floats replace a divide and a
 * subtract per pixel in the HWC → CHW loop.
 */
export function buildLookupTables(pre: Normalisation): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256)
    for (let v = 0; v < 256; v++) table[v] = (v / pre.scale - pre.mean[c]!) / pre.std[c]!
    return table
  })
}

/**
 * Interleaved RGB bytes (HWC) → planar normalised floats (CHW), written into `out` at `offset`.
 * One pass per channel, so each pass writes one plane front to back: faster than writing three planes at
 * once (bench/micro/request-path.ts compares them), and it runs on the path of every lone request.
 */
export function hwcToChw(rgb: Uint8Array, tables: Float32Array[], out: Float32Array, offset = 0): void {
  const plane = rgb.length / 3
  for (let c = 0; c < 3; c++) {
    const table = tables[c]!
    const dst = out.subarray(offset + c * plane, offset + (c + 1) * plane)
    for (let i = 0, p = c; i < plane; i++, p += 3) dst[i] = table[rgb[p]!]!
  }
}
