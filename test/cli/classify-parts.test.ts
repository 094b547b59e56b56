import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseClassifyArgs, UsageError } from '../../src/cli/args'
import { CSV_HEADER, formatOutcome } from '../../src/cli/output'
import { ProgressBar } from '../../src/cli/progress'
import { classifyFiles, describeSummary } from '../../src/cli/run'
import { expandPaths } from '../../src/cli/files'
import { IMAGES } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

describe('classify arguments', () => {
  test('defaults, flags in both spellings, paths in order', () => {
    expect(parseClassifyArgs(['a.jpg', 'dir'])).toEqual({
      paths: ['a.jpg', 'dir'],
      format: 'jsonl',
      topK: 5,
      model: '',
      concurrency: 32,
      server: '',
      apiKey: '',
      help: false
    })
    expect(parseClassifyArgs(['--format', 'csv', '--top-k=3', '--model', 'shufflenetv2', 'x'])).toMatchObject({
      format: 'csv',
      topK: 3,
      model: 'shufflenetv2'
    })
  })

  test('--server takes an http(s) URL, without its trailing slash', () => {
    expect(parseClassifyArgs(['--server', 'http://localhost:8080/', 'x']).server).toBe('http://localhost:8080')
    expect(() => parseClassifyArgs(['--server', 'localhost:8080', 'x'])).toThrow(UsageError)
  })

  for (const argv of [['--format', 'xml', 'x'], ['--top-k', '0', 'x'], ['--colour', 'x'], []])
    test(`refuses ${JSON.stringify(argv)}`, () => expect(() => parseClassifyArgs(argv)).toThrow(UsageError))
})

describe('classify output', () => {
  const labels = {
    file: 'a,b.jpg',
    model: 'm',
    model_version: '1',
    predictions: [{ label: 'crane "machine"', class_index: 517, score: 0.5 }]
  }

  test('CSV quotes commas and quotes (RFC 4180), one row per label, one per failure', () => {
    expect(CSV_HEADER.split(',')).toHaveLength(9)
    expect(formatOutcome(labels, 'csv')).toBe('"a,b.jpg",m,1,1,"crane ""machine""",517,0.5,,\n')
    expect(formatOutcome({ file: 'x.txt', error: { code: 'unsupported_image_format', message: 'no' } }, 'csv')).toBe(
      'x.txt,,,,,,,unsupported_image_format,no\n'
    )
  })

  test('JSONL is one object per line', () => {
    expect(JSON.parse(formatOutcome(labels, 'jsonl'))).toEqual(labels)
  })

  test('the summary says images/s and failures by code', () => {
    expect(
      describeSummary({
        images: 10,
        failed: 2,
        seconds: 2,
        imagesPerSecond: 5,
        failures: { unreadable_file: 1, invalid_image: 1, queue_full: 2 }
      })
    ).toBe('10 images in 2.00 s: 5.0 images/s; 2 failed (queue_full 2, invalid_image 1, unreadable_file 1)')
  })
})

describe('progress bar', () => {
  const recorder = (isTTY: boolean) => {
    const written: string[] = []
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } }
  }

  test('draws on a terminal, ends with a newline', () => {
    const { written, stream } = recorder(true)
    const bar = new ProgressBar(2, stream)
    bar.update(2, 1)
    expect(written.join('')).toBe(`\r[${'#'.repeat(30)}] 2/2, 1 failed\n`)
  })

  test('draws nothing into a pipe', () => {
    const { written, stream } = recorder(false)
    new ProgressBar(2, stream).update(2, 0)
    expect(written).toEqual([])
  })
})

describe('classifyFiles over the real predictor (stand-in runner)', () => {
  test('every file gets an outcome, failures are counted by code, folders expand to their photos', async () => {
    const app = testApp()
    const files = [...expandPaths([IMAGES]), join(import.meta.dir, '../../package.json'), join(IMAGES, 'missing.jpg')]
    expect(files.filter((f) => f.startsWith(IMAGES + '/')).map((f) => f.slice(IMAGES.length + 1))).toEqual([
      'chelsea.jpg',
      'chelsea.png',
      'coffee.png',
      'rocket.jpg',
      'missing.jpg'
    ])
    const written: string[] = []
    const summary = await classifyFiles(files, {
      predictor: app.pipeline.predictor,
      model: 'mobilenetv2',
      topK: 2,
      format: 'jsonl',
      concurrency: 3,
      write: (text) => written.push(text)
    })
    expect(summary).toMatchObject({ images: 6, failed: 2, failures: { unsupported_image_format: 1, unreadable_file: 1 } })
    const outcomes = written.map((line) => JSON.parse(line))
    expect(outcomes).toHaveLength(6)
    expect(outcomes.filter((o) => o.predictions?.length === 2)).toHaveLength(4)
  })
})
