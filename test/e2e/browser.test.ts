import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { BROWSER_TIMEOUT_MS as TIMEOUT_MS, chromiumAvailable, launchBrowser, SHOTS, type Browser } from '../helpers/browser'
import { CAT_CLASSES, IMAGES } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The pages as a person sees them, in Debian's Chromium, against one real server for the whole suite.
const haveChromium = chromiumAvailable('browser tests')

let server: ServerProcess
let browser: Browser
beforeAll(async () => {
  if (!haveChromium) return
  ;[server, browser] = await Promise.all([startServerProcess({ BUN_INFER_WORKERS: '1' }), launchBrowser()])
}, TIMEOUT_MS)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function openTryIt(): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(`${server.url}/`)
  // The model list has arrived once the default model is selected.
  await page.waitForSelector('#model option[value="mobilenetv2"]', { state: 'attached' })
  return page
}

describe.skipIf(!haveChromium)('the try-it page', () => {
  test(
    'classifies chelsea.jpg: a cat label with a percentage, the model that answered, the timings',
    async () => {
      browser.resetCounts()
      const page = await openTryIt()
      await page.setInputFiles('#file', join(IMAGES, 'chelsea.jpg'))
      await page.waitForSelector('#predictions li')
      const rows = await page.$$eval('#predictions li', (items) =>
        items.map((li) => ({ classIndex: Number(li.getAttribute('data-class-index')), text: li.textContent ?? '' }))
      )
      expect(rows).toHaveLength(5)
      const cat = rows.find((row) => CAT_CLASSES.includes(row.classIndex))
      expect(cat?.text).toMatch(/\d+\.\d %/)
      expect(rows[0]!.text).toMatch(/cat|Mau|tabby|Persian|Siamese/i)
      expect(await page.textContent('#answered-by')).toContain('mobilenetv2, version 1')
      expect(await page.textContent('#timings')).toMatch(/preprocess [\d.]+ ms · queue [\d.]+ ms · inference [\d.]+ ms/)
      expect(await page.isVisible('#preview')).toBe(true)
      await page.screenshot({ path: join(SHOTS, 'try-it.png'), fullPage: true })
      expect(browser.failed).toEqual([])
      expect(browser.offLoopback).toEqual([])
      await page.close()
    },
    TIMEOUT_MS
  )

  test(
    'an unsupported file shows its message in plain words',
    async () => {
      const page = await openTryIt()
      await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo at all\n') })
      await page.waitForSelector('#error', { state: 'visible' })
      expect(await page.textContent('#error')).toContain('not a photo this server can read')
      expect(await page.$$('#predictions li')).toHaveLength(0)
      await page.screenshot({ path: join(SHOTS, 'try-it-error.png'), fullPage: true })
      await page.close()
    },
    TIMEOUT_MS
  )

  test(
    'a sample button and the model selector work from the keyboard',
    async () => {
      const page = await openTryIt()
      await page.focus('#model')
      await page.selectOption('#model', 'shufflenetv2')
      await page.focus('button.sample[data-sample="/samples/chelsea.jpg"]')
      await page.keyboard.press('Enter')
      await page.waitForSelector('#predictions li')
      expect(await page.textContent('#answered-by')).toContain('shufflenetv2')
      await page.close()
    },
    TIMEOUT_MS
  )
})

describe.skipIf(!haveChromium)('the API docs (Swagger UI)', () => {
  for (const path of ['/docs', '/docs/'])
    test(
      `${path} loads with no failed and no off-machine request`,
      async () => {
        browser.resetCounts()
        const page = await browser.newPage()
        await page.goto(server.url + path)
        await page.waitForSelector('.opblock-summary-path')
        const paths = await page.$$eval('.opblock-summary-path', (items) => items.map((item) => item.textContent))
        expect(paths).toContain('/v1/predict')
        expect(browser.failed).toEqual([])
        expect(browser.offLoopback).toEqual([])
        if (path === '/docs') await page.screenshot({ path: join(SHOTS, 'docs.png') })
        await page.close()
      },
      TIMEOUT_MS
    )

  test(
    '"Try it out" on the multipart predict sends a photo and gets 200',
    async () => {
      const page = await browser.newPage()
      await page.goto(`${server.url}/docs#/predict/postV1Predict`)
      const operation = page.locator('#operations-predict-postV1Predict')
      await operation.locator('.opblock-section-request-body').waitFor()
      const tryItOut = operation.getByRole('button', { name: 'Try it out' })
      if (await tryItOut.count()) await tryItOut.click() // already open when tryItOutEnabled is on
      await operation.locator('select.content-type').first().selectOption('multipart/form-data')
      await operation.locator('tr[data-property-name="image"] input[type=file]').setInputFiles(join(IMAGES, 'chelsea.jpg'))
      await operation.locator('button.execute').click()
      const status = operation.locator('.live-responses-table tr.response .response-col_status').first()
      await status.waitFor()
      expect((await status.textContent())?.trim()).toBe('200')
      expect(await operation.locator('.live-responses-table .microlight').first().textContent()).toContain('"predictions"')
      await page.close()
    },
    TIMEOUT_MS
  )
})
