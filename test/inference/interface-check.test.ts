import { describe, expect, test } from 'bun:test'
import { checkInterface, type SessionInterface } from '../../src/inference/interface-check'
import type { WorkerModel } from '../../src/inference/protocol'

// What onnxruntime-node 1.30 reports for models/mobilenetv2-uint8-nhwc/1/model.onnx.
const session: SessionInterface = {
  inputNames: ['pixels'],
  outputNames: ['probabilities'],
  inputMetadata: [{ name: 'pixels', isTensor: true, type: 'uint8', shape: ['N', 192, 192, 3] }],
  outputMetadata: [{ name: 'probabilities', isTensor: true, type: 'float32', shape: ['N', 1000] }]
}
const model: WorkerModel = {
  key: 'm:1',
  modelPath: '/repo/m/1/model.onnx',
  inputName: 'pixels',
  outputName: 'probabilities',
  classes: 1000,
  input: { datatype: 'uint8', layout: 'NHWC', channelOrder: 'RGB', height: 192, width: 192 }
}
const withInput = (change: Partial<WorkerModel['input']>): WorkerModel => ({ ...model, input: { ...model.input, ...change } })

describe('checkInterface', () => {
  test('accepts a manifest that describes its graph', () => {
    expect(() => checkInterface(session, model)).not.toThrow()
  })

  const mismatches: Array<[string, WorkerModel, string]> = [
    ['input name', { ...model, inputName: 'input' }, 'field "input.name": "input" is not a graph input (graph has pixels)'],
    ['output name', { ...model, outputName: 'logits' }, 'field "output.name": "logits" is not a graph output (graph has probabilities)'],
    ['datatype', withInput({ datatype: 'float32' }), 'field "input.datatype": manifest says float32, graph input "pixels" is uint8'],
    [
      'layout',
      withInput({ layout: 'NCHW' }),
      'field "input.layout": manifest says NCHW [3,192,192], graph input "pixels" is [N,192,192,3]'
    ],
    [
      'size',
      withInput({ height: 224, width: 224 }),
      'field "input": manifest says NHWC [224,224,3], graph input "pixels" is [N,192,192,3]'
    ],
    ['classes', { ...model, classes: 10 }, 'field "output.classes": manifest says 10 classes, graph output "probabilities" is [N,1000]']
  ]
  for (const [name, wrong, message] of mismatches)
    test(`names the file, the field and what the graph has: ${name}`, () => {
      expect(() => checkInterface(session, wrong)).toThrow(`/repo/m/1/model.onnx (model.json of "m:1"): ${message}`)
    })

  test('refuses a graph input of another rank, and a non-float output', () => {
    const rank3 = { ...session, inputMetadata: [{ ...session.inputMetadata[0]!, shape: [192, 192, 3] }] }
    expect(() => checkInterface(rank3, model)).toThrow('has rank 3 [192,192,3], expected 4')
    const intOut = { ...session, outputMetadata: [{ ...session.outputMetadata[0]!, type: 'int64' }] }
    expect(() => checkInterface(intOut, model)).toThrow('graph output "probabilities" is int64')
  })
})
