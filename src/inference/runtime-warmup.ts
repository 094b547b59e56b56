/**
 * A one-node ONNX graph (y = Identity(x), one float), built here so no file ships for it. A worker creates and runs a
 * session of it before loading real models: onnxruntime's process-wide set-up (its environment, allocators, the
 * first run's one-off costs) then lands before the first model's load is measured, instead of being counted as
 * that model's memory.
 */

const varint = (value: number): number[] => {
  const bytes: number[] = []
  for (; value > 0x7f; value >>>= 7) bytes.push((value & 0x7f) | 0x80)
  bytes.push(value)
  return bytes
}
const int = (field: number, value: number) => [...varint(field << 3), ...varint(value)]
const bytes = (field: number, content: number[]) => [...varint((field << 3) | 2), ...varint(content.length), ...content]
const text = (field: number, value: string) => bytes(field, [...new TextEncoder().encode(value)])

function model(): Uint8Array {
  // ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape { dim { dim_value: 1 } } } } }
  const oneFloat = (name: string) => [...text(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, bytes(1, int(1, 1)))]))]
  const graph = [
    ...bytes(1, [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')]), // NodeProto
    ...text(2, 'warmup'),
    ...bytes(11, oneFloat('x')),
    ...bytes(12, oneFloat('y'))
  ]
  // ModelProto { ir_version: 7, graph, opset_import { version: 13 } }
  return new Uint8Array([...int(1, 7), ...bytes(7, graph), ...bytes(8, int(2, 13))])
}

export const IDENTITY_MODEL: Uint8Array = model()
