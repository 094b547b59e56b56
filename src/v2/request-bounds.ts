import type { JsonBounds } from '../http/json-bounds'
import type { ModelSpec } from '../models/catalog'
import { v2Interface } from './model-interface'
import { MAX_SHAPE_RANK } from './schemas'

/**
 * Room for the envelope around the one input's data: the schema allows 8 inputs and 8 outputs, each with a name,
 * datatype, shape (8 dimensions at most) and a few parameters, plus id and request parameters; that is a few
 * hundred strings and entries, and this is several times it. Tiny next to any tensor's data.
 */
const ENVELOPE_ITEMS = 1024
/** The envelope's nesting (request object, inputs array, input object) and as deep again for parameters. */
const ENVELOPE_DEPTH = 6

/**
 * What the JSON of a valid inference request to `spec` can hold, at most. The model takes exactly one input of at
 * most maxImagesPerRequest images: either the BYTES input (a string per image) or the graph's tensor in JSON, flat
 * or nested as deep as its shape. Anything more is refused before JSON.parse builds it, so a request's heap follows
 * from its model and the image limit, never from how many tiny values fit in the body limit.
 */
export function inferJsonBounds(spec: ModelSpec, maxImagesPerRequest: number): JsonBounds {
  const { imageShape } = v2Interface(spec).tensorInput
  return {
    maxDepth: ENVELOPE_DEPTH + MAX_SHAPE_RANK,
    maxStrings: maxImagesPerRequest + ENVELOPE_ITEMS,
    maxContainers: nestedArrays([maxImagesPerRequest, ...imageShape]) + ENVELOPE_ITEMS,
    maxEntries: nestedEntries([maxImagesPerRequest, ...imageShape]) + ENVELOPE_ITEMS
  }
}

/** Arrays in a tensor's data written fully nested, row-major: the outer one and one per row of each dimension but the last. */
export function nestedArrays(shape: readonly number[]): number {
  let rows = 1
  let arrays = 0
  for (const dimension of shape) {
    arrays += rows
    rows *= dimension
  }
  return arrays
}

/** Array elements in a tensor's data written fully nested: every element, plus every array but the outermost. */
export function nestedEntries(shape: readonly number[]): number {
  let rows = 1
  let entries = 0
  for (const dimension of shape) {
    rows *= dimension
    entries += rows
  }
  return entries
}
