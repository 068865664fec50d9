/** The client calls the web page needs: a run with its spec, reruns, artifacts, the workflows folder. */
import { describe, expect, it } from 'vitest'
import { isWeftApiError } from '../src/index.js'
import { useClient, useServer, workflows } from './helpers.js'

const h = useServer()
const client = useClient(h)

describe('client: routes of the web page', () => {
  it('gets a run with its spec, lists and downloads its artifacts, and reruns it', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.quick('page') })
    await client.runs.wait(runId)
    expect((await client.runs.get(runId)).spec).toBeUndefined()
    const detail = await client.runs.get(runId, { include: 'spec' })
    expect(detail.spec).toMatchObject({ workflow: { name: 'page' } })

    await h.runtime.store.artifacts!.put({
      runId,
      taskId: 'a',
      name: 'out/notes.txt',
      contentType: 'text/plain; charset=utf-8',
      data: new TextEncoder().encode('hello'),
    })
    const list = await client.runs.artifacts(runId)
    expect(list).toEqual([expect.objectContaining({ name: 'out/notes.txt', taskId: 'a', size: 5 })])
    const file = await client.runs.artifact(runId, 'out/notes.txt')
    expect(file.contentType).toBe('text/plain; charset=utf-8')
    expect(new TextDecoder().decode(file.data)).toBe('hello')
    const missing = await client.runs.artifact(runId, 'nope').catch((e: unknown) => e)
    expect(isWeftApiError(missing) && missing.status).toBe(404)

    const rerun = await client.runs.rerun(runId, { from: 'b' })
    expect(rerun.runId).not.toBe(runId)
    expect((await client.runs.wait(rerun.runId)).status).toBe('succeeded')
  })

  it('lists the workflows folder (none on this server)', async () => {
    expect(await client.workflows.list()).toEqual({ folder: false, items: [] })
  })
})
