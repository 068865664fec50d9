import { AGENT_STATUSES, type AgentRecord } from '@weft/core'
import { Gauge, type Registry } from 'prom-client'
import { sharedPerScrape } from './scrape-read.js'

/** Where the agent gauges read the agents on each scrape (undefined: the store has none). */
export type AgentSource = () => Promise<AgentRecord[]>

/**
 * Gauges of the agents (`weft worker` processes) sharing the store, read from the store on each
 * scrape, so any server on the same database reports every worker, wherever it runs:
 * `weft_agents{status}`, `weft_agent_busy_slots` (attempts running) and `weft_agent_capacity`
 * (attempts the live agents run at once). Stopped and failed agents add no slots.
 */
export function registerAgentGauges(
  registry: Registry,
  prefix: string,
  source: () => AgentSource | undefined,
): void {
  const registers = [registry]
  // One read per scrape, shared by the three gauges.
  const read = sharedPerScrape(() => source()?.())
  const live = (a: AgentRecord) => a.status !== 'stopped' && a.status !== 'failed'
  new Gauge({
    name: `${prefix}agents`,
    help: 'Agents (weft worker processes) sharing the store, by status',
    labelNames: ['status'],
    registers,
    async collect() {
      const agents = await read()
      if (!agents) return
      for (const status of AGENT_STATUSES)
        this.set({ status }, agents.filter((a) => a.status === status).length)
    },
  })
  new Gauge({
    name: `${prefix}agent_busy_slots`,
    help: 'Attempts the live agents are running now',
    registers,
    async collect() {
      const agents = await read()
      if (agents) this.set(agents.filter(live).reduce((n, a) => n + a.running, 0))
    },
  })
  new Gauge({
    name: `${prefix}agent_capacity`,
    help: 'Attempts the live agents can run at once (the sum of their --concurrency)',
    registers,
    async collect() {
      const agents = await read()
      if (agents) this.set(agents.filter(live).reduce((n, a) => n + a.capacity, 0))
    },
  })
}
