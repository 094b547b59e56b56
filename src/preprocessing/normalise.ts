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

/** Interleaved RGB bytes (HWC) → planar normalised floats (CHW), written into `out` at `offset`. */
export function hwcToChw(rgb: Uint8Array, tables: Float32Array[], out: Float32Array, offset = 0): void {
  const plane = rgb.length / 3
  const [r, g, b] = tables as [Float32Array, Float32Array, Float32Array]
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[offset + i] = r[rgb[p]!]!
    out[offset + plane + i] = g[rgb[p + 1]!]!
    out[offset + 2 * plane + i] = b[rgb[p + 2]!]!
  }
}
