/** Resized size whose shorter side is `shorter` (aspect kept), and the centred crop box in it. */
export function resizeAndCropBox(width: number, height: number, shorter: number, cropW: number, cropH: number) {
  const scale = shorter / Math.min(width, height)
  const resizedW = Math.max(cropW, Math.round(width * scale))
  const resizedH = Math.max(cropH, Math.round(height * scale))
  return {
    resizedW,
    resizedH,
    left: Math.round((resizedW - cropW) / 2),
    top: Math.round((resizedH - cropH) / 2)
  }
}

export type CropBox = ReturnType<typeof resizeAndCropBox>
