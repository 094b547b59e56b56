import { describe, expect, test } from 'bun:test'
import { AppError } from '../../src/errors'
import { jobImageClassifier } from '../../src/jobs/classify-image'
import type { Job } from '../../src/jobs/job'

const job = { id: 'j', model: 'm', version: '1', topK: 1, client: 'ip:x' } as Job
const image = { index: 0, name: 'a.jpg', offset: 0, length: 3 }
const predictions = [{ label: 'cat', class_index: 1, score: 0.9 }]

/** A predictor whose answers are given in turn: an error to throw, or predictions. */
function predictorOf(answers: Array<AppError | 'ok'>) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    predict: async () => {
      const answer = answers[calls++]
      if (answer instanceof AppError) throw answer
      return { predictions: [predictions] } as never
    }
  }
}

const classify = (predictor: ReturnType<typeof predictorOf>) =>
  jobImageClassifier({ predictor, read: async () => new Uint8Array(3), maxImageBytes: 10 })(job, image, new AbortController().signal)

describe('a job image', () => {
  test('whose worker died under it is tried again, and gets its predictions', async () => {
    const predictor = predictorOf([new AppError('worker_lost', 'gone'), 'ok'])
    expect(await classify(predictor)).toEqual({ index: 0, name: 'a.jpg', predictions })
    expect(predictor.calls).toBe(2)
  })

  test('that kills its worker three times gets worker_lost as its result', async () => {
    const lost = new AppError('worker_lost', 'gone')
    const predictor = predictorOf([lost, lost, lost, 'ok'])
    expect(await classify(predictor)).toMatchObject({ error: { code: 'worker_lost' } })
    expect(predictor.calls).toBe(3)
  })

  test('that cannot be decoded is not tried again', async () => {
    const predictor = predictorOf([new AppError('invalid_image', 'truncated'), 'ok'])
    expect(await classify(predictor)).toMatchObject({ error: { code: 'invalid_image' } })
    expect(predictor.calls).toBe(1)
  })
})
