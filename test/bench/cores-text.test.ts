import { describe, expect, test } from 'bun:test'
import { coresText } from '../../bench/lib/report/markdown'
import type { MachineFacts } from '../../bench/lib/types'

const facts = (cores: number, coresOnline?: number) => ({ cores, ...(coresOnline ? { coresOnline } : {}) }) as MachineFacts

describe('the cores a run reports', () => {
  test('a whole machine reads as its cores', () => {
    expect(coresText(facts(2))).toBe('2 cores')
  })

  test('a run pinned to some cores says so, with the machine beside it', () => {
    expect(coresText(facts(2, 16))).toBe('2 of its 16 cores (pinned)')
  })
})
