/**
 * A plain JPEG decoded, resized and cropped by libvips on the calling thread, through bun:ffi: the same library,
 * operations and arguments as the Preprocessor's sharp pipeline, so the same bytes (test/preprocessing/vips-direct.test.ts
 * compares them), without sharp's trip to libuv's pool and libvips' own worker thread. An inference worker uses it
 * for a lone image (issue 13): the image then crosses threads twice (HTTP thread → worker → HTTP thread) instead of
 * six times, about 1 ms of a lone request on a 2-core VM (bench/README.md, issue 13 section 13).
 *
 * Only what that pipeline does for an 8-bit sRGB JPEG without an ICC profile or EXIF orientation: anything else is
 * declined (undefined) and goes the sharp way, which also gives a bad image its 4xx. Nothing here throws.
 */
import { dlopen, FFIType, ptr, toArrayBuffer, type Pointer } from 'bun:ffi'
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { CropBox } from './crop-box'

/** What a model asks of the resize: sharp's kernel names are libvips' own nicknames. */
export interface ResizeSpec {
  kernel: string
  width: number
  height: number
}

const { ptr: P, cstring: S, i32, u64, void: VOID } = FFIType
const SYMBOLS = {
  vips_init: { args: [S], returns: i32 },
  vips_operation_new: { args: [S], returns: P },
  vips_blob_new: { args: [P, P, u64], returns: P },
  vips_area_unref: { args: [P], returns: VOID },
  // g_object_set/get are variadic; called with pointer arguments only, as (object, name, value, NULL).
  g_object_set: { args: [P, S, P, P], returns: VOID },
  g_object_get: { args: [P, S, P, P], returns: VOID },
  g_object_unref: { args: [P], returns: VOID },
  g_free: { args: [P], returns: VOID },
  vips_object_set_from_string: { args: [P, S], returns: i32 },
  vips_object_build: { args: [P], returns: i32 },
  vips_object_unref_outputs: { args: [P], returns: VOID },
  vips_image_get_width: { args: [P], returns: i32 },
  vips_image_get_height: { args: [P], returns: i32 },
  vips_image_get_bands: { args: [P], returns: i32 },
  vips_image_get_format: { args: [P], returns: i32 },
  vips_image_get_interpretation: { args: [P], returns: i32 },
  vips_image_get_typeof: { args: [P, S], returns: u64 },
  vips_image_get_int: { args: [P, S, P], returns: i32 },
  vips_region_new: { args: [P], returns: P },
  vips_region_fetch: { args: [P, i32, i32, i32, i32, P], returns: P },
  vips_error_clear: { args: [], returns: VOID }
} as const
type Vips = ReturnType<typeof dlopen<typeof SYMBOLS>>['symbols']

const VIPS_FORMAT_UCHAR = 0
const VIPS_INTERPRETATION_SRGB = 22

/** NUL-terminated, as the C side wants its strings. */
const c = (text: string) => Buffer.from(`${text}\0`)
const NAMES = {
  load: c('jpegload_buffer'),
  resize: c('resize'),
  extract: c('extract_area'),
  buffer: c('buffer'),
  in: c('in'),
  input: c('input'),
  out: c('out'),
  icc: c('icc-profile-data'),
  orientation: c('orientation')
}

/** sharp's own copy of libvips (the package its prebuilt binary links), or undefined where there is none. */
function libraryPath(): string | undefined {
  const require = createRequire(import.meta.url)
  for (const variant of ['', 'musl'])
    try {
      const pkg = `@img/sharp-libvips-${process.platform}${variant}-${process.arch}/package.json`
      const dir = join(dirname(require.resolve(pkg, { paths: [dirname(require.resolve('sharp'))] })), 'lib')
      const file = readdirSync(dir).find((name) => name.startsWith('libvips-cpp.'))
      if (file) return join(dir, file)
    } catch {
      // not this variant
    }
  return undefined
}

let opened: Vips | null | undefined
/** The library, opened once per thread; null where it cannot be (another platform, no sharp): callers use sharp. */
function vips(): Vips | null {
  if (opened !== undefined) return opened
  try {
    const path = libraryPath()
    opened = path ? dlopen(path, SYMBOLS).symbols : null
    // Started already when sharp is loaded in this process; vips_init is a no-op then.
    if (opened && opened.vips_init(c('bun-infer')) !== 0) opened = null
  } catch {
    opened = null
  }
  return opened
}

/** Whether the direct path can run here at all. */
export function vipsDirectAvailable(): boolean {
  return vips() !== null
}

/**
 * sharp's shrink-on-load for a JPEG (its pipeline.cc, fastShrinkOnLoad on): libjpeg's DCT scaling by 2, 4 or 8 when
 * the resize shrinks at least that much, one step less when the shrink is exactly that whole number.
 */
export function jpegShrinkOnLoad(width: number, height: number, box: CropBox): number {
  const shrink = Math.min(width / box.resizedW, height / box.resizedH)
  let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1
  if (factor > 1 && Math.trunc(shrink) === factor) factor /= 2
  return factor
}

/** An output pointer of a C call, and a size_t one. */
const slot = new BigUint64Array(1)
const size = new BigUint64Array(1)

/**
 * The Preprocessor's RGB bytes (HWC, `spec.width × spec.height × 3`) for a JPEG whose header gave `width × height`
 * and no EXIF orientation, written into `into` (a buffer its caller reuses, so a worker allocates nothing per image)
 * or a new array; undefined when the image is not one this path handles or does not decode (then sharp decodes
 * it, or refuses it with the right error).
 */
export function decodeJpegCrop(
  bytes: Uint8Array,
  width: number,
  height: number,
  box: CropBox,
  spec: ResizeSpec,
  into: Uint8Array = new Uint8Array(spec.width * spec.height * 3)
): Uint8Array | undefined {
  const v = vips()
  if (!v || bytes.length === 0) return undefined
  const owned: Pointer[] = []
  /** Builds one operation on `input` (set as its `inputArg`) with `options`; its output, owned until the end, or undefined. */
  const run = (name: Buffer, input: Pointer, inputArg: Buffer, options: string): Pointer | undefined => {
    const op = v.vips_operation_new(name)
    if (!op) return undefined
    try {
      v.g_object_set(op, inputArg, input, null)
      if (v.vips_object_set_from_string(op, c(options)) !== 0 || v.vips_object_build(op) !== 0) {
        v.vips_object_unref_outputs(op)
        return undefined
      }
      v.g_object_get(op, NAMES.out, ptr(slot), null)
      v.vips_object_unref_outputs(op)
      const out = Number(slot[0]) as Pointer
      owned.push(out)
      return out
    } finally {
      v.g_object_unref(op)
    }
  }
  // libvips reads the bytes in place (no copy): they stay referenced by `bytes` until this returns.
  const blob = v.vips_blob_new(null, ptr(bytes), bytes.length)
  if (!blob) return undefined
  try {
    const shrink = jpegShrinkOnLoad(width, height, box)
    const loaded = run(NAMES.load, blob as Pointer, NAMES.buffer, `access=sequential,fail_on=error,shrink=${shrink}`)
    if (!loaded || !plainSrgb(v, loaded)) return undefined
    // sharp's scales: the loaded size over the resize target, per axis (its ResolveShrink for fit "fill").
    const hshrink = v.vips_image_get_width(loaded) / box.resizedW
    const vshrink = v.vips_image_get_height(loaded) / box.resizedH
    let image = loaded
    if (hshrink !== 1 || vshrink !== 1) {
      const resized = run(NAMES.resize, image, NAMES.in, `scale=${1 / hshrink},vscale=${1 / vshrink},kernel=${spec.kernel}`)
      if (!resized) return undefined
      image = resized
    }
    const cropped = run(NAMES.extract, image, NAMES.input, `left=${box.left},top=${box.top},width=${spec.width},height=${spec.height}`)
    if (!cropped) return undefined
    // A region computes its pixels on this thread (no libvips worker thread), and the fetch copies them out.
    const region = v.vips_region_new(cropped)
    if (!region) return undefined
    owned.push(region as Pointer)
    const pixels = v.vips_region_fetch(region, 0, 0, spec.width, spec.height, ptr(size))
    if (!pixels) return undefined
    const length = Number(size[0])
    const fits = length === into.length
    if (fits) into.set(new Uint8Array(toArrayBuffer(pixels, 0, length)))
    v.g_free(pixels)
    return fits ? into : undefined
  } catch {
    return undefined
  } finally {
    for (const object of owned.reverse()) v.g_object_unref(object)
    v.vips_area_unref(blob)
    // An image that failed leaves its message in libvips' error buffer; sharp, decoding it again, says what it was.
    v.vips_error_clear()
  }
}

const orientation = new Int32Array(1)

/** 8-bit, three-band sRGB with no ICC profile and no EXIF rotation: what sharp's pipeline leaves as decoded. */
function plainSrgb(v: Vips, image: Pointer): boolean {
  if (v.vips_image_get_typeof(image, NAMES.orientation) !== 0n) {
    if (v.vips_image_get_int(image, NAMES.orientation, ptr(orientation)) !== 0 || orientation[0] !== 1) return false
  }
  return (
    v.vips_image_get_bands(image) === 3 &&
    v.vips_image_get_format(image) === VIPS_FORMAT_UCHAR &&
    v.vips_image_get_interpretation(image) === VIPS_INTERPRETATION_SRGB &&
    v.vips_image_get_typeof(image, NAMES.icc) === 0n
  )
}
