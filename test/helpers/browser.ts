import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Debian's chromium (apt-get install chromium); tools/test-deps.sh installs it. */
export const CHROMIUM = '/usr/bin/chromium'

/** Screenshots for people (gitignored; created on demand); the docs show copies from docs/img/. */
export const SHOTS = join(import.meta.dir, '../../test-results')
/** A browser test's budget: Chromium's start, a real server's, and the page's own requests. */
export const BROWSER_TIMEOUT_MS = 60_000

/**
 * Whether a browser suite can run: CI installs chromium (tools/test-deps.sh), so there its absence fails the
 * suite; elsewhere the suite skips and says so. Makes the screenshots' folder when it can run.
 */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) {
    mkdirSync(SHOTS, { recursive: true })
    return true
  }
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: run tools/test-deps.sh`)
  console.warn(`${suite} skipped: ${CHROMIUM} is missing (apt-get install chromium)`)
  return false
}

/** Headless, and quiet: no background traffic of Chromium's own (updates, sync, QUIC probes). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage'
]

export interface Browser {
  context: BrowserContext
  /** Requests to anything but loopback: blocked, and listed here. */
  offLoopback: string[]
  /** Requests that failed or got a 4xx/5xx (URL and reason), since the last `resetCounts`. */
  failed: string[]
  resetCounts(): void
  newPage(): Promise<Page>
  close(): Promise<void>
}

const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url)
  if (protocol === 'data:' || protocol === 'blob:') return true
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]'
}

/** Chromium with a fresh profile; every non-loopback request is aborted and counted. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'bun-infer-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS })
  const offLoopback: string[] = []
  const failed: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (isLoopback(url)) return route.continue()
    offLoopback.push(url)
    return route.abort('blockedbyclient')
  })
  context.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`))
  context.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.url()} ${response.status()}`)
  })
  return {
    context,
    offLoopback,
    failed,
    resetCounts() {
      offLoopback.length = 0
      failed.length = 0
    },
    newPage: () => context.newPage(),
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
