/**
 * The tensor datatypes this server reads and writes, named as the Open Inference Protocol names them
 * (KServe v2 "Tensor Data Types": BOOL, UINT8…, FP32, BYTES). Fixed-size types travel as little-endian
 * bytes in the binary extension; BYTES elements as a 4-byte little-endian length then the bytes.
 */
export type V2Datatype = 'FP32' | 'UINT8' | 'BYTES'

/** Bytes per element of a fixed-size datatype. */
export const ELEMENT_BYTES = { FP32: 4, UINT8: 1 } as const

export const isV2Datatype = (value: unknown): value is V2Datatype => value === 'FP32' || value === 'UINT8' || value === 'BYTES'

/** The protocol's name for a manifest datatype. */
export const v2DatatypeOf = (datatype: 'float32' | 'uint8'): 'FP32' | 'UINT8' => (datatype === 'uint8' ? 'UINT8' : 'FP32')

/** Elements a shape holds (the product of its dimensions; 1 for a scalar). */
export const elementCount = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1)
