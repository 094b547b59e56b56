import type { PredictionRecord } from '../../src/prediction-log/record'

/** A plausible record of one answered image; fields as given. */
export const record = (over: Partial<PredictionRecord> = {}): PredictionRecord => ({
  timeMs: 1_000,
  requestId: 'r1',
  api: 'v1',
  model: 'mobilenetv2',
  version: '1',
  imageIndex: 0,
  label: 'Egyptian Mau',
  classIndex: 285,
  score: 0.7,
  top: [{ label: 'Egyptian Mau', class_index: 285, score: 0.7 }],
  preprocessMs: 5,
  queueMs: 1,
  inferenceMs: 8,
  totalMs: 15,
  batchSize: 1,
  cached: false,
  imageSha256: 'ab'.repeat(32),
  clientHash: '0123456789abcdef',
  jobId: null,
  ...over
})
