import { type AgentStore, agentStoreOf, newOwnerName, type Store } from '@weft/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createPostgresStore } from '../src/index.js'
import { internalsOf } from '../src/queue/internals.js'
import { workersTable } from '../src/queue/workers-table.js'
import { databaseUrl, dropSchema, newSchema, sql } from './schemas.js'

// The agents of a Postgres store: worker records written through the worker's own statements
// (workers-table.ts), read and steered through store.agents, logged by migration 6's triggers.

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

async function open(): Promise<{
  store: Store
  agents: AgentStore
  table: ReturnType<typeof workersTable>
  schema: string
}> {
  const schema = newSchema()
  const store = createPostgresStore({ url: databaseUrl(), schema })
  cleanups.push(() => dropSchema(schema))
  cleanups.push(() => store.close())
  await store.init()
  const agents = agentStoreOf(store)
  if (!agents) throw new Error('the Postgres store declares no agents')
  const { db, s } = internalsOf(store)
  return { store, agents, table: workersTable(db, s), schema }
}

const register = (
  table: ReturnType<typeof workersTable>,
  name: string,
  owner = newOwnerName(),
  deadOwner?: string,
) =>
  table
    .register({
      name,
      owner,
      host: 'h1',
      pid: 4242,
      capacity: 3,
      backends: ['shell', 'mock'],
      ttlMs: 60_000,
      ...(deadOwner ? { deadOwner } : {}),
    })
    .then(() => owner)

const types = async (agents: AgentStore, name: string) =>
  (await agents.events({ agent: name })).map((e) => e.type).reverse()

describe('agents (Postgres)', () => {
  it('lists registered workers with status, capacity, backends and counts, and logs agent.registered', async () => {
    const { agents, table } = await open()
    expect(await agents.list()).toEqual([])
    const owner = await register(table, 'a1')
    await register(table, 'a2')
    await table.heartbeat('a1', owner, 60_000, 'busy', 2)
    await table.count('a1', owner, 5, 1, 0)
    const list = await agents.list()
    expect(list.map((a) => [a.name, a.status])).toEqual([
      ['a1', 'busy'],
      ['a2', 'starting'],
    ])
    const a1 = list[0]!
    expect(a1).toMatchObject({
      desired: 'run',
      host: 'h1',
      pid: 4242,
      capacity: 3,
      running: 2,
      backends: ['shell', 'mock'],
      completed: 5,
      failed: 1,
      rejected: 0,
      current: [],
    })
    expect(Date.parse(a1.heartbeatAt)).toBeGreaterThan(0)
    expect((await agents.list({ statuses: ['starting'] })).map((a) => a.name)).toEqual(['a2'])
    expect(await agents.get('nobody')).toBeUndefined()
    const [registered] = await agents.events({ agent: 'a2' })
    expect(registered).toMatchObject({
      type: 'agent.registered',
      agent: 'a2',
      data: { host: 'h1', pid: 4242, capacity: 3 },
    })
    // idle ⇄ busy is not an event: it changes with every claim.
    await table.heartbeat('a1', owner, 60_000, 'idle', 0)
    expect(await types(agents, 'a1')).toEqual(['agent.registered'])
  })

  it('pause, resume and stop requests store the desired state, log who asked, and change nothing when repeated', async () => {
    const { agents, table } = await open()
    const owner = await register(table, 'a1')
    await table.heartbeat('a1', owner, 60_000, 'idle', 0)
    const paused = await agents.request('a1', 'pause', { by: 'cli:ann', reason: 'maintenance' })
    expect(paused?.changed).toBe(true)
    expect(paused?.agent).toMatchObject({
      desired: 'pause',
      desiredBy: 'cli:ann',
      desiredReason: 'maintenance',
    })
    expect((await agents.request('a1', 'pause'))?.changed).toBe(false)
    // The worker applies it with its next heartbeat; the status change is the agent's own event.
    await table.heartbeat('a1', owner, 60_000, 'paused', 0)
    await agents.request('a1', 'run', { by: 'cli:ann' })
    await table.heartbeat('a1', owner, 60_000, 'idle', 0)
    await agents.request('a1', 'stop')
    await table.heartbeat('a1', owner, 60_000, 'draining', 0)
    await table.stop('a1', owner)
    expect(await types(agents, 'a1')).toEqual([
      'agent.registered',
      'agent.pause_requested',
      'agent.paused',
      'agent.resume_requested',
      'agent.resumed',
      'agent.stop_requested',
      'agent.draining',
      'agent.stopped',
    ])
    const events = await agents.events({ agent: 'a1' })
    expect(events.find((e) => e.type === 'agent.pause_requested')).toMatchObject({
      by: 'cli:ann',
      reason: 'maintenance',
    })
    expect(events.find((e) => e.type === 'agent.paused')).toMatchObject({
      reason: 'maintenance',
      data: { from: 'idle', to: 'paused' },
    })
    expect(await agents.request('nobody', 'pause')).toBeUndefined()
  })

  it('a stopped agent: stop is a no-op, resume is refused, pause is kept for its next start', async () => {
    const { agents, table } = await open()
    const owner = await register(table, 'a1')
    await table.stop('a1', owner)
    expect((await agents.request('a1', 'stop'))?.changed).toBe(false)
    await expect(agents.request('a1', 'run')).rejects.toMatchObject({ code: 'conflict' })
    expect((await agents.request('a1', 'pause'))?.agent.desired).toBe('pause')
    // A new process under the name keeps the pause (an operator's decision survives restarts).
    await register(table, 'a1')
    expect((await agents.get('a1'))?.desired).toBe('pause')
  })

  it('a new process under a stopped name clears the stop; an agent that stopped heartbeating is failed, once', async () => {
    const { agents, table, schema } = await open()
    const first = await register(table, 'a1')
    await table.heartbeat('a1', first, 60_000, 'busy', 1)
    await agents.request('a1', 'stop')
    // Its process dies (kill -9): the record expires on the database's clock.
    await sql(`UPDATE "${schema}".workers SET expires_at = now() - interval '1 second' WHERE name = 'a1'`)
    expect((await agents.get('a1'))?.status).toBe('failed')
    expect((await agents.list()).map((a) => a.status)).toEqual(['failed'])
    const failed = (await agents.events({ agent: 'a1' })).filter((e) => e.type === 'agent.failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]!.reason).toMatch(/no heartbeat since/)
    await register(table, 'a1')
    expect((await agents.get('a1'))?.desired).toBe('run')
    expect((await types(agents, 'a1')).slice(-2)).toEqual(['agent.failed', 'agent.registered'])
  })

  it('a record marked failed whose process heartbeats again is agent.recovered', async () => {
    const { agents, table, schema } = await open()
    const owner = await register(table, 'a1')
    await table.heartbeat('a1', owner, 60_000, 'idle', 0)
    // Cut off from the database for longer than its lease: read as failed meanwhile.
    await sql(`UPDATE "${schema}".workers SET expires_at = now() - interval '1 second' WHERE name = 'a1'`)
    expect((await agents.get('a1'))?.status).toBe('failed')
    await table.heartbeat('a1', owner, 60_000, 'idle', 0)
    expect((await agents.get('a1'))?.status).toBe('idle')
    expect(await types(agents, 'a1')).toEqual(['agent.registered', 'agent.failed', 'agent.recovered'])
  })

  it('a live record taken over by a restarted process (its holder found dead) logs the failure and the new holder', async () => {
    const { agents, table } = await open()
    const first = await register(table, 'a1')
    await table.heartbeat('a1', first, 60_000, 'busy', 1)
    await register(table, 'a1', newOwnerName(), first)
    expect(await types(agents, 'a1')).toEqual(['agent.registered', 'agent.failed', 'agent.registered'])
    const all = await agents.events()
    expect(all[0]).toMatchObject({ type: 'agent.registered' })
    expect(all[1]).toMatchObject({ type: 'agent.failed', data: { status: 'busy' } })
  })
})
