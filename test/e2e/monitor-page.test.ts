import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { BROWSER_TIMEOUT_MS as TIMEOUT_MS, chromiumAvailable, launchBrowser, SHOTS, type Browser } from '../helpers/browser'
import { imageBytes, multipart } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The monitor page as a person sees it, in Debian's Chromium, against a real server whose log holds real answers:
// a mixed reference, then only the cat.
const haveChromium = chromiumAvailable('monitor page tests')
let server: ServerProcess
let browser: Browser

beforeAll(async () => {
  if (!haveChromium) return
  ;[server, browser] = await Promise.all([
    startServerProcess({
      BUN_INFER_WORKERS: '1',
      BUN_INFER_MAX_CACHE_ENTRIES: '0',
      BUN_INFER_PREDICTION_LOG_FLUSH_MS: '20',
      BUN_INFER_DRIFT_REFERENCE_PREDICTIONS: '12',
      BUN_INFER_DRIFT_MIN_WINDOW_PREDICTIONS: '1'
    }),
    launchBrowser()
  ])
  const photos = await Promise.all(['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'chelsea.png'].map(imageBytes))
  const send = async (images: Uint8Array[]) => {
    const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart(images.map((bytes) => ({ bytes }))) })
    expect(response.status).toBe(200)
  }
  for (let i = 0; i < 3; i++) await send(photos)
  for (let i = 0; i < 4; i++) await send([photos[0]!, photos[0]!, photos[0]!, photos[0]!])
  // Every answer is in the log once the summary counts it (written every 20 ms): a condition, bounded by the test timeout.
  while (((await (await fetch(`${server.url}/v1/models/mobilenetv2/monitoring`)).json()) as { total: number }).total < 28)
    await Bun.sleep(20)
}, TIMEOUT_MS)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe.skipIf(!haveChromium)('the monitor page', () => {
  test(
    'draws labels over time, drift, confidence, latency by label and the latest low-confidence answers',
    async () => {
      browser.resetCounts()
      const page = await browser.newPage()
      await page.setViewportSize({ width: 1280, height: 900 })
      await page.goto(`${server.url}/monitor`)
      await page.waitForSelector('body[data-loaded="mobilenetv2"]')
      expect(await page.textContent('#status')).toContain('28 images answered by mobilenetv2')
      // Three uPlot charts, each a canvas; their legends name what they draw.
      expect(await page.$$('#labels-chart canvas, #drift-chart canvas, #confidence-chart canvas')).toHaveLength(3)
      const legends = await page.$$eval('#labels-chart .u-legend .u-label', (cells) => cells.map((c) => c.textContent))
      expect(legends).toContain('Egyptian Mau')
      expect(await page.isVisible('#drift-empty')).toBe(false) // the reference is complete: drift is drawn
      const latency = await page.$$eval('#latency li .label', (cells) => cells.map((c) => c.textContent))
      expect(latency[0]).toBe('Egyptian Mau') // 19 of 28 images: the most frequent label first
      expect(await page.$$('#low-confidence tr')).toBeDefined()
      expect(await page.isVisible('#error')).toBe(false)
      await page.screenshot({ path: join(SHOTS, 'monitor.png'), fullPage: true })
      expect(browser.failed).toEqual([])
      expect(browser.offLoopback).toEqual([])
      await page.close()
    },
    TIMEOUT_MS
  )
})
