import { describe, expect, test } from 'bun:test'
import { usage } from '../../src/config/usage'

describe('server --help text', () => {
  test('lists the flags and every variable with its default', () => {
    const text = usage('9.9.9')
    for (const expected of ['bun-infer 9.9.9', '--port <value>', '--help', '--version', 'BUN_INFER_MAX_QUEUE_IMAGES=256', 'OTEL_'])
      expect(text).toContain(expected)
  })
})
