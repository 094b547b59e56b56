import { describe, expect, test } from 'bun:test'
import { imageShape, TensorBuilder, toQueuedRgb, type InputLayout } from '../../src/preprocessing/layout'

// Two images of 1×2 pixels, RGB HWC: every value distinct, so any misplaced element shows.
const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16])
const base = { height: 1, width: 2 } as const
const norm = { scale: 1, mean: [1, 2, 3], std: [1, 2, 4] }

describe('TensorBuilder', () => {
  const cases: Array<[string, InputLayout, number[]]> = [
    ['uint8 NHWC RGB is the queued bytes', { ...base, datatype: 'uint8', layout: 'NHWC', channelOrder: 'RGB' }, [...rgb]],
    [
      'uint8 NHWC BGR swaps R and B',
      { ...base, datatype: 'uint8', layout: 'NHWC', channelOrder: 'BGR' },
      [3, 2, 1, 6, 5, 4, 13, 12, 11, 16, 15, 14]
    ],
    [
      'uint8 NCHW RGB is planar',
      { ...base, datatype: 'uint8', layout: 'NCHW', channelOrder: 'RGB' },
      [1, 4, 2, 5, 3, 6, 11, 14, 12, 15, 13, 16]
    ],
    [
      'float32 NCHW BGR raw',
      { ...base, datatype: 'float32', layout: 'NCHW', channelOrder: 'BGR' },
      [3, 6, 2, 5, 1, 4, 13, 16, 12, 15, 11, 14]
    ],
    ['float32 NHWC RGB raw', { ...base, datatype: 'float32', layout: 'NHWC', channelOrder: 'RGB' }, [...rgb]],
    // (x − mean)/std with mean and std given in RGB order, whatever order the graph wants.
    [
      'float32 NCHW RGB normalised',
      { ...base, datatype: 'float32', layout: 'NCHW', channelOrder: 'RGB', normalise: norm },
      [0, 3, 0, 1.5, 0, 0.75, 10, 13, 5, 6.5, 2.5, 3.25]
    ],
    [
      'float32 NHWC BGR normalised',
      { ...base, datatype: 'float32', layout: 'NHWC', channelOrder: 'BGR', normalise: norm },
      [0, 0, 0, 0.75, 1.5, 3, 2.5, 5, 10, 3.25, 6.5, 13]
    ]
  ]
  for (const [name, layout, want] of cases)
    test(name, () => {
      const out = new TensorBuilder(layout).build(rgb)
      expect(out).toBeInstanceOf(layout.datatype === 'uint8' ? Uint8Array : Float32Array)
      expect([...out]).toEqual(want)
    })

  test('imageShape follows the layout', () => {
    expect(imageShape({ layout: 'NCHW', height: 4, width: 5 })).toEqual([3, 4, 5])
    expect(imageShape({ layout: 'NHWC', height: 4, width: 5 })).toEqual([4, 5, 3])
  })
})

describe('toQueuedRgb (a uint8 tensor input back to the queued RGB HWC bytes)', () => {
  for (const layout of ['NCHW', 'NHWC'] as const)
    for (const channelOrder of ['RGB', 'BGR'] as const)
      test(`undoes TensorBuilder for uint8 ${layout} ${channelOrder}`, () => {
        const input: InputLayout = { ...base, datatype: 'uint8', layout, channelOrder }
        const tensor = new TensorBuilder(input).build(rgb) as Uint8Array
        expect([...toQueuedRgb(tensor, input)]).toEqual([...rgb])
      })
})
