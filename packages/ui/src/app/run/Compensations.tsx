import type { RunSummary } from '@weft/core/contracts'
import { StatusBadge } from '../components/Status.js'
import { formatDuration } from '../format.js'

/**
 * What a failed or canceled run undid (`compensate:`), in the order the compensations ran: the
 * last task to finish first. Each shows its status, how long it took, and its output or error.
 */
export function Compensations({ run }: { run: RunSummary }) {
  const comp = run.compensation
  if (!comp) return null
  return (
    <section
      className="notice compensations"
      aria-labelledby="compensations-title"
      data-compensation={comp.status}
    >
      <h2 id="compensations-title">
        Compensations {comp.status === 'running' ? <span className="muted">(running)</span> : null}
      </h2>
      <ol>
        {comp.tasks.map((t) => (
          <li key={t.taskId} data-compensation-task={t.taskId} data-status={t.status}>
            <strong>{t.taskId}</strong> <StatusBadge status={t.status} />
            {t.startedAt && t.completedAt ? (
              <span className="muted">
                {' '}
                {formatDuration(Date.parse(t.completedAt) - Date.parse(t.startedAt))}
              </span>
            ) : null}
            {t.attempt > 1 ? <span className="muted"> (started {t.attempt} times)</span> : null}
            {t.status === 'succeeded' && t.output !== undefined && t.output !== null ? (
              <span className="mono small">
                {' '}
                → {typeof t.output === 'string' ? t.output : JSON.stringify(t.output)}
              </span>
            ) : null}
            {t.error ? <span className="error"> {t.error.message}</span> : null}
            {t.reason ? <span className="muted"> {t.reason}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  )
}
