import type { RunDetail } from '@weft/api'
import { isTerminalRunStatus, type WeftEvent } from '@weft/core/contracts'
import { useCallback, useEffect, useRef, useState } from 'react'
import { errorText, isAuthError, useSession } from '../api.js'

/** The log kept in the page; older events are dropped from view (the export has them all). */
const MAX_EVENTS = 5000
const MAX_STREAM_TEXT = 64 * 1024

export interface LiveRun {
  detail: RunDetail | undefined
  /** `spec` of the run (workflow, inputs, budget), loaded once. */
  spec: Record<string, unknown> | undefined
  events: WeftEvent[]
  /** Text deltas as they stream, by task (live only; the final text is in the task's state). */
  streaming: Record<string, string>
  connection: 'connecting' | 'live' | 'reconnecting' | 'ended'
  error: string | undefined
  refresh(): void
}

/**
 * A run as it happens: its state (`GET /runs/{id}`) and its event log over SSE from the first
 * event. Each event refreshes the state (at most every 250 ms); a dropped stream reconnects with
 * Last-Event-ID (in `@weft/client`), so a reload or a reconnect catches up without gap or duplicate.
 */
export function useRunLive(runId: string): LiveRun {
  const { client, unauthorized } = useSession()
  const [detail, setDetail] = useState<RunDetail>()
  const [spec, setSpec] = useState<Record<string, unknown>>()
  const [events, setEvents] = useState<WeftEvent[]>([])
  const [streaming, setStreaming] = useState<Record<string, string>>({})
  const [connection, setConnection] = useState<LiveRun['connection']>('connecting')
  const [error, setError] = useState<string>()
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const alive = useRef(true)

  const load = useCallback(
    async (withSpec: boolean) => {
      try {
        const d = await client.runs.get(runId, withSpec ? { include: 'spec' } : {})
        if (!alive.current) return
        setDetail(d)
        if (d.spec) setSpec(d.spec)
        setError(undefined)
      } catch (err) {
        if (!alive.current) return
        if (isAuthError(err)) unauthorized()
        else setError(errorText(err))
      }
    },
    [client, runId, unauthorized],
  )

  const refreshSoon = useCallback(() => {
    if (pending.current !== undefined) return
    pending.current = setTimeout(() => {
      pending.current = undefined
      void load(false)
    }, 250)
  }, [load])

  useEffect(() => {
    alive.current = true
    const controller = new AbortController()
    void load(true)
    void (async () => {
      let batch: WeftEvent[] = []
      let flush: ReturnType<typeof setTimeout> | undefined
      const push = () => {
        flush = undefined
        const add = batch
        batch = []
        setEvents((prev) => {
          const next = prev.concat(add)
          return next.length > MAX_EVENTS ? next.slice(next.length - MAX_EVENTS) : next
        })
      }
      try {
        for await (const e of client.runs.stream(runId, {
          after: 0,
          deltas: true,
          signal: controller.signal,
          onReconnect: () => setConnection('reconnecting'),
        })) {
          setConnection('live')
          if (e.type === 'agent.delta') {
            const task = e.taskId ?? ''
            const text = String((e.data as { text?: unknown }).text ?? '')
            setStreaming((s) => ({ ...s, [task]: ((s[task] ?? '') + text).slice(-MAX_STREAM_TEXT) }))
            continue
          }
          if (e.type === 'task.started' && e.taskId) {
            const task = e.taskId
            setStreaming((s) => (s[task] ? { ...s, [task]: '' } : s))
          }
          batch.push(e)
          flush ??= setTimeout(push, 100)
          refreshSoon()
        }
        if (flush) clearTimeout(flush)
        push()
        if (!controller.signal.aborted) {
          setConnection('ended')
          void load(false)
        }
      } catch (err) {
        if (controller.signal.aborted) return
        if (isAuthError(err)) unauthorized()
        else setError(errorText(err))
      }
    })()
    return () => {
      alive.current = false
      controller.abort()
      clearTimeout(pending.current)
      pending.current = undefined
    }
  }, [client, runId, load, refreshSoon, unauthorized])

  // A paused run's stream stays open; a finished one ends. Either way keep the state fresh.
  const terminal = detail ? isTerminalRunStatus(detail.run.status) : false
  useEffect(() => {
    if (terminal) return
    const t = setInterval(() => void load(false), 5000)
    return () => clearInterval(t)
  }, [terminal, load])

  return { detail, spec, events, streaming, connection, error, refresh: () => void load(false) }
}
