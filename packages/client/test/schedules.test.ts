import { isWeftApiError } from '@weft/client'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/index.js'
import { useServer } from './helpers.js'

const h = useServer()

const GREET = `
weft: 1
name: greet
inputs: { who: { type: string } }
defaults: { backend: mock }
tasks: { hello: { prompt: "hello \${{ inputs.who }}" } }
`

describe('client.schedules against a real server', () => {
  it('creates, lists, gets and removes a schedule; errors are WeftApiErrors with the server’s code', async () => {
    const weft = createClient({ baseUrl: h.url })
    const schedule = await weft.schedules.create({
      workflow: GREET,
      cron: '*/10 * * * * *',
      inputs: { who: 'client' },
      missed: 'catchUp',
    })
    expect(schedule).toMatchObject({
      cron: '*/10 * * * * *',
      missed: 'catchUp',
      origin: 'user',
      enabled: true,
    })
    expect(schedule.id).toMatch(/^sch_[0-9a-f]{16}$/)
    expect((await weft.schedules.list()).map((s) => s.id)).toContain(schedule.id)
    expect(await weft.schedules.get(schedule.id)).toEqual({ schedule, ticks: [] })
    await weft.schedules.remove(schedule.id)
    expect((await weft.schedules.list()).map((s) => s.id)).not.toContain(schedule.id)

    const missing = await weft.schedules.remove(schedule.id).catch((e: unknown) => e)
    expect(isWeftApiError(missing) && missing.status === 404 && missing.code === 'not_found').toBe(true)
    const bad = await weft.schedules
      .create({ workflow: GREET, cron: '0 0 32 * *', inputs: { who: 'x' } })
      .catch((e: unknown) => e)
    expect(isWeftApiError(bad) && bad.code === 'input_invalid').toBe(true)
    expect((bad as Error).message).toContain('field 3 (day of month)')
  })
})
