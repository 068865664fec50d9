import { RUN_STATUSES, type RunStatus, type RunSummary } from '@weft/core/contracts'
import { useState } from 'react'
import { useSession } from '../api.js'
import { FilterSearch, FilterSelect } from '../components/Filters.js'
import { StatusBadge } from '../components/Status.js'
import { formatCost, formatDuration, formatTime, formatTokens, runDuration, totalTokens } from '../format.js'
import { useNow, usePolled } from '../hooks.js'
import { linkProps, navigate } from '../router.js'

const PAGE_SIZE = 25
/** A search looks through this many of the newest runs (the API filters names exactly, not by part). */
const SEARCH_WINDOW = 200

/** Every run, newest first, with filters, search and pages; refreshed every 2 s. */
export function RunsList() {
  const { client } = useSession()
  const [status, setStatus] = useState<RunStatus | ''>('')
  const [search, setSearch] = useState('')
  const [tag, setTag] = useState('')
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const cursor = cursors[cursors.length - 1]
  const now = useNow(1000)

  const needle = search.trim().toLowerCase()
  const { data: page, error } = usePolled(
    (signal) =>
      client.runs.list(
        {
          limit: needle ? SEARCH_WINDOW : PAGE_SIZE,
          ...(status ? { status: [status] } : {}),
          ...(tag.trim() ? { tag: tag.trim() } : {}),
          ...(cursor && !needle ? { cursor } : {}),
        },
        { signal },
      ),
    [client, status, needle, tag, cursor],
    2000,
  )
  const data = page && needle ? { items: page.items.filter((r) => matches(r, needle)) } : page
  const nextCursor = needle ? undefined : page?.nextCursor
  /** A filter's change handler: the new value applies from the first page on. */
  const fromFirstPage = (set: (value: string) => void) => (value: string) => {
    set(value)
    setCursors([undefined])
  }

  return (
    <section aria-labelledby="runs-title">
      <div className="title-row">
        <h1 id="runs-title">Runs</h1>
        <a className="button" {...linkProps('/start')}>
          Start a run
        </a>
      </div>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Status"
          value={status}
          unset="any"
          choices={RUN_STATUSES}
          onChange={fromFirstPage((v) => setStatus(v as RunStatus | ''))}
        />
        <FilterSearch
          label="Search"
          value={search}
          placeholder="name, id or tag"
          onChange={fromFirstPage(setSearch)}
        />
        <FilterSearch label="Tag" value={tag} placeholder="tag" onChange={fromFirstPage(setTag)} />
      </form>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Tags</th>
              <th scope="col">Started</th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((run) => (
              <tr
                key={run.id}
                data-run-id={run.id}
                className="clickable"
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a')) return
                  navigate(`/runs/${run.id}`)
                }}
              >
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  <a {...linkProps(`/runs/${run.id}`)}>{run.name}</a>
                  <div className="muted mono small">{run.id}</div>
                </td>
                <td>
                  {run.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </td>
                <td>{formatTime(run.startedAt ?? run.createdAt)}</td>
                <td className="num">{formatDuration(runDuration(run, now))}</td>
                <td className="num">{formatTokens(totalTokens(run.usage))}</td>
                <td className="num">{formatCost(run.usage.costUsd)}</td>
              </tr>
            ))}
            {data && data.items.length === 0 ? (
              <tr>
                <td colSpan={7} className="muted">
                  No runs{status || needle || tag ? ' match these filters' : ' yet'}.{' '}
                  <a {...linkProps('/start')}>Start one</a>.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          ← Newer
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={!nextCursor}
          onClick={() => nextCursor && setCursors((c) => [...c, nextCursor])}
        >
          Older →
        </button>
      </nav>
    </section>
  )
}

function matches(run: RunSummary, needle: string): boolean {
  return (
    run.name.toLowerCase().includes(needle) ||
    run.id.toLowerCase().includes(needle) ||
    run.tags.some((t) => t.toLowerCase().includes(needle))
  )
}
