/**
 * The web page in a real browser (Debian's Chromium, headless, through playwright-core) against a
 * real weft server on 127.0.0.1: start runs from the page and watch their graphs, approve a gate,
 * cancel, reload mid-run, and the key prompt of a server with API keys.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './browser.js'
import { startProxy } from './proxy.js'
import { type PageServer, startPageServer } from './server.js'

/** Screenshots of this run of the tests (the README's pictures are copies under docs/). */
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results')
const WAIT = { timeout: 60_000 }
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

interface Violation {
  id: string
  impact?: string | null
  nodes: { target: string[] }[]
}

let browser: Browser
let server: PageServer

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  ;[browser, server] = await Promise.all([launchChromium(), startPageServer()])
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function newPage(width = 1360, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light' })
  const page = await context.newPage()
  // Nothing but the test server: any other request would be the page reaching out.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(server.url) ? route.continue() : route.abort(),
  )
  return page
}

/** Starts a workflow of the server's folder from the start page; resolves with the run id. */
async function startFromPage(page: Page, workflow: string, tags?: string): Promise<string> {
  await page.goto(`${server.url}/start`)
  await page.locator(`[data-workflow="${workflow}"]`).click()
  if (tags) await page.getByLabel('Tags (comma separated)').fill(tags)
  await page.getByRole('button', { name: `Start ${workflow}` }).click()
  await page.waitForURL(/\/runs\/run_[A-Za-z0-9]+/, WAIT)
  return /\/runs\/(run_[A-Za-z0-9]+)/.exec(page.url())![1]!
}

const node = (page: Page, task: string) => page.locator(`.task-node[data-task-id="${task}"]`)

describe('the web page', () => {
  it('starts hello from the page and the graph turns green; the runs list shows the run', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'hello', 'demo, quick-start')
    for (const task of ['plan', 'food', 'transit', 'write']) {
      await node(page, task).and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
    }
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    expect(await page.locator('.task-node[data-status="succeeded"]').count()).toBe(4)
    // The timeline and the charts have something to show; the cost is the catalog's.
    expect(await page.locator('.timeline rect').count()).toBeGreaterThanOrEqual(4)
    await page.getByRole('button', { name: 'write: succeeded' }).click()
    await page.locator('[data-task-panel="write"]').waitFor(WAIT)
    // The prompt as the runtime rendered and sent it, upstream outputs included.
    expect((await page.locator('[data-task-panel="write"]').textContent()) ?? '').toContain(
      'Prompt (as sent)',
    )
    const prompt = (await page.locator('[data-task-panel="write"] .prompt').textContent()) ?? ''
    expect(prompt).toContain('Write the day plan for Lisbon')
    expect(prompt).toContain('Tram 15 from Praça da Figueira')
    await page.screenshot({ path: join(SHOTS, 'run-page.png'), fullPage: true })
    await page.getByRole('button', { name: /Switch to dark theme/ }).click()
    await page.screenshot({ path: join(SHOTS, 'run-page-dark.png') })
    await page.getByRole('button', { name: /Switch to light theme/ }).click()
    await page.keyboard.press('Escape')
    await page.locator('[data-task-panel]').waitFor({ state: 'detached', ...WAIT })
    const run = await server.runtime.get(runId)
    expect(run?.initiator).toBe('ui')
    expect(run?.tags).toEqual(['demo', 'quick-start'])

    await page.goto(server.url)
    const row = page.locator(`tr[data-run-id="${runId}"]`)
    await row.waitFor(WAIT)
    expect((await row.textContent()) ?? '').toMatch(/succeeded[\s\S]*hello[\s\S]*\$0\.0/)
    await page.context().close()
  })

  it('approves the gate of approval.yaml from the page, and the run finishes', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'approval')
    await node(page, 'approve').and(page.locator('[data-status="waiting"]')).waitFor(WAIT)
    // With the keyboard only: Enter on the task, Tab to the input, type, Tab to Approve, Enter.
    await page.getByRole('button', { name: 'approve: waiting' }).focus()
    await page.keyboard.press('Enter')
    await page.locator('[data-task-panel="approve"]').waitFor(WAIT)
    const focused = () => page.evaluate(() => document.activeElement?.id ?? '')
    for (let i = 0; i < 40 && !(await focused()).startsWith('input-'); i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe('input-approve')
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('{ "channel": "blog" }')
    await page.keyboard.press('Tab') // the reason
    await page.keyboard.press('Tab') // Approve
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Approve')
    await page.keyboard.press('Enter')
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    await node(page, 'publish').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
    const publish = (await server.runtime.tasks(runId)).find((t) => t.taskId === 'publish')
    expect(JSON.stringify(publish?.output ?? publish?.text)).toContain('published to blog')
    await page.context().close()
  })

  it('pauses, resumes and cancels a running run', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'forever')
    await node(page, 'wait').and(page.locator('[data-status="running"]')).waitFor(WAIT)
    await page.getByRole('button', { name: 'Pause', exact: true }).click()
    await page.locator('.run-page[data-run-status="paused"]').waitFor(WAIT)
    await page.getByRole('button', { name: 'Resume', exact: true }).click()
    await page.locator('.run-page[data-run-status="running"]').waitFor(WAIT)
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    await page.locator('.run-page[data-run-status="canceled"]').waitFor(WAIT)
    expect((await server.runtime.get(runId))?.status).toBe('canceled')
    await page.context().close()
  })

  it('shows retries and their waits in the timeline, and downloads a task’s artifact', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'retries')
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    // Three attempts of fetch (two failed, then one that succeeded) and two waits between them.
    expect(await page.locator('.timeline rect.tl-attempt').count()).toBe(4)
    expect(await page.locator('.timeline rect.tl-retry_wait').count()).toBe(2)
    await node(page, 'fetch').filter({ hasText: '×3' }).waitFor(WAIT)

    await server.runtime.store.artifacts!.put({
      runId,
      taskId: 'report',
      name: 'out/report.md',
      contentType: 'text/markdown; charset=utf-8',
      data: new TextEncoder().encode('# Releases\n'),
    })
    await page.goto(`${server.url}/runs/${runId}?task=report`)
    const link = page.getByRole('button', { name: 'out/report.md' })
    await link.waitFor(WAIT)
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), link.click()])
    expect(download.suggestedFilename()).toBe('report.md')
    const file = await download.path()
    expect(readFileSync(file, 'utf8')).toBe('# Releases\n')
    await page.context().close()
  })

  it('shows a failed task red with its error, and its dependents skipped', async () => {
    const page = await newPage()
    await startFromPage(page, 'failure')
    await page.locator('.run-page[data-run-status="failed"]').waitFor(WAIT)
    await node(page, 'lint').and(page.locator('[data-status="failed"]')).waitFor(WAIT)
    await node(page, 'publish').and(page.locator('[data-status="skipped"]')).waitFor(WAIT)
    await node(page, 'site').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
    await page.getByRole('button', { name: 'lint: failed' }).click()
    const error = page.locator('[data-task-panel="lint"] .error-box')
    await error.waitFor(WAIT)
    expect((await error.textContent()) ?? '').toContain('3 lint errors in src/index.ts')
    await page.context().close()
  })

  it('lists what a failed run undid, in the order the compensations ran', async () => {
    const page = await newPage()
    await startFromPage(page, 'compensation')
    await page.locator('.run-page[data-run-status="failed"]').waitFor(WAIT)
    const list = page.locator('section.compensations[data-compensation="done"]')
    await list.waitFor(WAIT)
    const items = list.locator('li[data-compensation-task]')
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ])
    const order = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-compensation-task')))
    expect(order.at(-1)).toBe('book_flight')
    expect(order.slice(0, 2).sort()).toEqual(['book_hotel', 'reserve_car'])
    expect((await list.textContent()) ?? '').toContain('cancelled flight FL-4711 for ana')
    await page.context().close()
  })

  it('shows a task’s context sources and their compaction', async () => {
    const page = await newPage()
    await startFromPage(page, 'context')
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    await page.getByRole('button', { name: 'write: succeeded' }).click()
    const panel = page.locator('[data-task-panel="write"]')
    await panel.locator('table.context').waitFor(WAIT)
    const text = (await panel.textContent()) ?? ''
    expect(text).toContain('tasks.plan.stops')
    expect(text).toMatch(/Compacted \(middle-out\): \d+ → \d+ tokens/)
    await page.context().close()
  })

  it('draws a map’s items below it, and links a subworkflow task to its run and back', async () => {
    const page = await newPage()
    await startFromPage(page, 'map')
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    expect(await page.locator('.task-node[data-status="succeeded"]').count()).toBe(8)
    await page.getByRole('button', { name: 'review[2]: succeeded' }).click()
    const item = page.locator('[data-task-panel="review[2]"]')
    await item.waitFor(WAIT)
    expect((await item.textContent()) ?? '').toContain('Item 2 of review')

    await startFromPage(page, 'subworkflow')
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    await page.getByRole('button', { name: 'review: succeeded' }).click()
    await page.locator('[data-task-panel="review"] a', { hasText: 'run_' }).click()
    await page.getByText('Subworkflow of').waitFor(WAIT)
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    await page.context().close()
  })

  it('streams a task’s text live into the task panel', async () => {
    const page = await newPage()
    await startFromPage(page, 'stream')
    await node(page, 'talk').and(page.locator('[data-status="running"]')).waitFor(WAIT)
    await page.getByRole('button', { name: 'talk: running' }).click()
    await page.locator('[data-task-panel="talk"] .stream', { hasText: 'six' }).waitFor(WAIT)
    expect((await page.locator('[data-task-panel="talk"] .stream').textContent()) ?? '').toMatch(/five six$/)
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    await page.locator('.run-page[data-run-status="canceled"]').waitFor(WAIT)
    await page.context().close()
  })

  it('raises the budget of a run that paused on it, shows the gauge, and reruns from a task', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'budget')
    await page.locator('.run-page[data-run-status="paused"]').waitFor(WAIT)
    await page.locator('.gauge figcaption', { hasText: 'Budget (cost)' }).waitFor(WAIT)
    await page.getByLabel('Budget $').fill('1')
    await page.getByRole('button', { name: 'Raise budget and resume' }).click()
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    expect((await server.runtime.get(runId))?.status).toBe('succeeded')

    await page.getByRole('button', { name: 'polish: succeeded' }).click()
    await page.getByRole('button', { name: 'Rerun from polish' }).click()
    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(runId), WAIT)
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    const rerunId = /\/runs\/(run_[A-Za-z0-9]+)/.exec(page.url())![1]!
    const reused = await server.runtime.store.events.query({ runId: rerunId, types: ['task.reused'] })
    expect(reused.map((e) => e.taskId).sort()).toEqual(['draft', 'research'])
    await page.context().close()
  })

  it('catches up after a reload in the middle of a run, without a missing or repeated event', async () => {
    const page = await newPage()
    const runId = await startFromPage(page, 'chain')
    await node(page, 'one').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
    await page.reload()
    await node(page, 'four').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
    await page.locator('.run-page[data-run-status="succeeded"]').waitFor(WAIT)
    await page.locator('[data-connection="ended"]').waitFor(WAIT)
    const seqs = await page
      .locator('tr[data-seq]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))))
    const lastSeq = (await server.runtime.get(runId))!.lastSeq
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1))
    await page.context().close()
  })

  it('resumes its event stream with Last-Event-ID after the connection drops', async () => {
    const proxy = await startProxy(server.port)
    const page = await newPage()
    await page.unroute('**/*')
    await page.route('**/*', (route) =>
      route.request().url().startsWith(proxy.url) ? route.continue() : route.abort(),
    )
    const resumedFrom: string[] = []
    page.on('request', (r) => {
      const id = r.headers()['last-event-id']
      if (r.url().includes('/events/stream') && id) resumedFrom.push(id)
    })
    try {
      await page.goto(`${proxy.url}/start`)
      await page.locator('[data-workflow="chain"]').click()
      await page.getByRole('button', { name: 'Start chain' }).click()
      await page.waitForURL(/\/runs\/run_/, WAIT)
      const runId = /\/runs\/(run_[A-Za-z0-9]+)/.exec(page.url())![1]!
      await node(page, 'one').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
      proxy.cut()
      await node(page, 'four').and(page.locator('[data-status="succeeded"]')).waitFor(WAIT)
      await page.locator('[data-connection="ended"]').waitFor(WAIT)
      expect(resumedFrom.length).toBeGreaterThan(0)
      expect(Number(resumedFrom[0])).toBeGreaterThan(0)
      const seqs = await page
        .locator('tr[data-seq]')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))))
      const lastSeq = (await server.runtime.get(runId))!.lastSeq
      expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1))
    } finally {
      await page.context().close()
      await proxy.close()
    }
  })

  it('lists every run with status, duration, tokens and cost, filtered by status', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await page.locator('tr[data-run-id]').nth(3).waitFor(WAIT)
    await page.screenshot({ path: join(SHOTS, 'runs-list.png') })
    await page.getByLabel('Status').selectOption('canceled')
    // Only canceled runs (the canceled tests' forever and stream), every row so.
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('tr[data-run-id] .badge')]
        return rows.length >= 2 && rows.every((b) => b.textContent === 'canceled')
      },
      undefined,
      WAIT,
    )
    expect((await page.locator('tbody').textContent()) ?? '').toContain('forever')
    // Search by part of a name, an id or a tag.
    await page.getByLabel('Status').selectOption('')
    await page.getByLabel('Search').fill('quick-st')
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-run-id]').length === 1,
      undefined,
      WAIT,
    )
    expect((await page.locator('tbody').textContent()) ?? '').toContain('hello')
    await page.context().close()
  })

  it('has no accessibility violations (axe) on its pages, light and dark', async () => {
    // bypassCSP: axe is injected as a script, which the page's policy rightly refuses.
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, bypassCSP: true })
    const page = await context.newPage()
    const runs = await server.runtime.list({ limit: 1 })
    // The failed run with its compensations listed, when the test that makes one ran before.
    const compensated = (await server.runtime.list({ status: ['failed'], limit: 100 })).items.find(
      (r) => r.compensation,
    )
    const pages = [
      '/',
      `/runs/${runs.items[0]!.id}`,
      '/start?workflow=hello',
      ...(compensated ? [`/runs/${compensated.id}`] : []),
    ]
    const found: string[] = []
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme })
      for (const path of pages) {
        await page.goto(`${server.url}${path}`)
        await page.locator('main h1').first().waitFor(WAIT)
        await page.waitForLoadState('networkidle').catch(() => {})
        await page.addScriptTag({ path: AXE })
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe
          const result = await axe.run()
          return result.violations.map(
            (v) =>
              `${v.id} (${v.impact}): ${v.nodes
                .map((n) => n.target.join(' '))
                .slice(0, 3)
                .join(' | ')}`,
          )
        })
        found.push(...violations.map((v) => `${theme} ${path}: ${v}`))
      }
    }
    expect(found).toEqual([])
    await context.close()
  })

  it('is usable on a phone-sized screen and in the dark theme', async () => {
    const page = await newPage(390, 844)
    await page.goto(server.url)
    await page.locator('table.runs').waitFor(WAIT)
    // Keyboard: the skip link is the first stop.
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.getByRole('button', { name: /Switch to dark theme/ }).click()
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
    // The table scrolls inside its box: the page itself never scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(1)
    await page.context().close()
  })
})

describe('a server with API keys', () => {
  let keyed: PageServer
  beforeAll(async () => {
    keyed = await startPageServer({ keys: [{ name: 'ops', key: 'k-ops-123456', scopes: ['admin'] }] })
    const run = await keyed.runtime.start({
      workflow: { weft: 1, name: 'secret-run', tasks: { a: { backend: 'mock', prompt: 'x' } } },
    })
    await keyed.runtime.wait(run.id)
  })
  afterAll(() => keyed?.close())

  it('asks for a key and shows no data without one; with the key it shows the runs', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.route('**/*', (route) =>
      route.request().url().startsWith(keyed.url) ? route.continue() : route.abort(),
    )
    await page.goto(keyed.url)
    await page.getByRole('heading', { name: 'API key' }).waitFor(WAIT)
    expect(await page.locator('tr[data-run-id]').count()).toBe(0)
    expect(await page.content()).not.toContain('secret-run')
    await page.locator('#api-key').fill('k-ops-123456')
    await page.getByRole('button', { name: 'Use this key' }).click()
    await page.locator('tr[data-run-id]').first().waitFor(WAIT)
    expect((await page.locator('tbody').textContent()) ?? '').toContain('secret-run')
    await context.close()
  })
})
