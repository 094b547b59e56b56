import { describe, expect, test } from 'bun:test'
import { floorSettings, formatFloorSetting, parseFloorSetting } from '../../bench/lib/limit-floor'

describe("the floor's thread settings", () => {
  test('intra-op threads 1 and all cores, spinning on and off; one core gives two settings', () => {
    expect(floorSettings(2).map(formatFloorSetting)).toEqual(['1:spin', '1:nospin', '2:spin', '2:nospin'])
    expect(floorSettings(1).map(formatFloorSetting)).toEqual(['1:spin', '1:nospin'])
  })

  test('--floor-setting reads back what the paired rounds write, and refuses anything else', () => {
    for (const setting of floorSettings(16)) expect(parseFloorSetting(formatFloorSetting(setting))).toEqual(setting)
    for (const bad of ['2', '2:on', '0:spin', 'spin', '2:spin ', ''])
      expect(() => parseFloorSetting(bad)).toThrow('is not THREADS:spin or THREADS:nospin')
  })
})
