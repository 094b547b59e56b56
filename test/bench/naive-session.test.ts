import { describe, expect, test } from 'bun:test'
import { sessionOptions } from '../../bench/baselines/naive-preprocess'

describe("the naive baseline's session options", () => {
  test("onnxruntime's defaults on a whole machine", () => {
    expect(sessionOptions(2, 2)).toEqual({})
  })

  test('pinned to fewer cores than the machine has, one intra-op thread per core it may use', () => {
    expect(sessionOptions(2, 16)).toEqual({ intraOpNumThreads: 2 })
  })
})
