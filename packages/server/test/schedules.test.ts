import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './helpers.js'

const hello = {
  weft: 1,
  name: 'hello',
  inputs: { who: { type: 'string' } },
  defaults: { backend: 'mock' },
  tasks: { greet: { prompt: 'hello ${{ inputs.who }}' } },
}

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    async setup(dir) {
      const workflowsDir = join(dir, 'workflows')
      await mkdir(workflowsDir)
      await writeFile(join(workflowsDir, 'hello.json'), JSON.stringify(hello))
      return { workflowsDir }
    },
  })
})
afterAll(() => h.close())

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${h.url}/api/v1${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  })
const post = (body: unknown) => api('/schedules', { method: 'POST', body: JSON.stringify(body) })

describe('/api/v1/schedules', () => {
  it('adds, lists, shows and removes a schedule', async () => {
    const created = await post({
      workflow: hello,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      inputs: { who: 'world' },
      missed: 'catchUp',
      name: 'weekday greeting',
    })
    expect(created.status).toBe(201)
    const { schedule } = (await created.json()) as { schedule: { id: string; nextTickAt: string } }
    expect(created.headers.get('location')).toBe(`/api/v1/schedules/${schedule.id}`)
    expect(schedule).toMatchObject({
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      inputs: { who: 'world' },
      missed: 'catchUp',
      enabled: true,
      origin: 'user',
      name: 'weekday greeting',
    })
    // 09:00 in Paris on a weekday is 07:00 or 08:00 UTC.
    expect(schedule.nextTickAt).toMatch(/T0[78]:00:00\.000Z$/)

    const byName = await post({ workflowName: 'hello', cron: '*/10 * * * * *', inputs: { who: 'folder' } })
    expect(byName.status).toBe(201)
    const named = ((await byName.json()) as { schedule: { id: string; workflow: unknown } }).schedule
    expect(named.workflow).toEqual({ name: 'hello' })

    const list = (await (await api('/schedules')).json()) as { items: { id: string }[] }
    expect(list.items.map((s) => s.id)).toEqual([schedule.id, named.id])
    const one = await api(`/schedules/${schedule.id}`)
    expect(one.status).toBe(200)
    expect(await one.json()).toMatchObject({ schedule: { id: schedule.id }, ticks: [] })

    const removed = await api(`/schedules/${schedule.id}`, { method: 'DELETE' })
    expect(removed.status).toBe(200)
    expect(await removed.json()).toEqual({ id: schedule.id, deleted: true })
    expect((await api(`/schedules/${schedule.id}`)).status).toBe(404)
    const again = await api(`/schedules/${schedule.id}`, { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect(((await again.json()) as { error: { hint: string } }).error.hint).toContain('weft schedules list')
  })

  it('refuses a bad cron naming the field, a bad zone, a missing input and an unknown folder workflow', async () => {
    const badCron = await post({ workflow: hello, cron: '0 25 * * *', inputs: { who: 'x' } })
    expect(badCron.status).toBe(400)
    const err = ((await badCron.json()) as { error: { code: string; message: string; hint: string } }).error
    expect(err.code).toBe('input_invalid')
    expect(err.message).toContain('field 2 (hour) "25"')
    expect(err.hint).toContain('0 9 * * 1-5')

    const zone = await post({
      workflow: hello,
      cron: '0 9 * * *',
      timezone: 'Mars/Base',
      inputs: { who: 'x' },
    })
    expect(((await zone.json()) as { error: { message: string } }).error.message).toContain('Mars/Base')
    const missing = await post({ workflow: hello, cron: '0 9 * * *' })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('workflow_invalid')
    const unknown = await post({ workflowName: 'nope', cron: '0 9 * * *' })
    expect(unknown.status).toBe(404)
    const both = await post({ workflowName: 'hello', workflow: hello, cron: '0 9 * * *' })
    expect(both.status).toBe(400)
    expect(((await both.json()) as { error: { code: string } }).error.code).toBe('validation_failed')
    // Nothing was kept.
    const list = (await (await api('/schedules')).json()) as { items: { inputs: unknown }[] }
    expect(list.items.every((s) => JSON.stringify(s.inputs) !== '{"who":"x"}')).toBe(true)
  })
})
