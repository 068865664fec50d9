/**
 * The run-level events that become span events of the run's span: lifecycle steps (started,
 * paused, resumed, canceling), compensations in the order they ran, budget stops and warnings.
 */
import type { Span } from '@opentelemetry/api'
import type { WeftEvent } from '@weft/spec'
import { WEFT } from './attributes.js'
import { flat } from './span-attributes.js'

export function addRunEvent(span: Span, e: WeftEvent, at: Date): void {
  switch (e.type) {
    case 'run.started':
      span.addEvent('weft.run.started', { 'weft.run.mode': e.data.mode }, at)
      return
    case 'run.paused':
      span.addEvent(
        'weft.run.paused',
        { [WEFT.reason]: e.data.reason, ...(e.data.message ? { 'weft.message': e.data.message } : {}) },
        at,
      )
      return
    case 'run.resumed':
      span.addEvent('weft.run.resumed', { [WEFT.reason]: e.data.reason }, at)
      return
    case 'run.canceling':
      span.addEvent('weft.run.canceling', { [WEFT.reason]: e.data.reason }, at)
      return
    // Compensations run after every task has ended: events of the run's span, in the order they ran.
    case 'run.compensating':
      span.addEvent(
        'weft.run.compensating',
        { 'weft.compensation.outcome': e.data.outcome, 'weft.compensation.tasks': e.data.tasks.join(',') },
        at,
      )
      return
    case 'compensation.started':
    case 'compensation.succeeded':
    case 'compensation.failed':
    case 'compensation.canceled':
      span.addEvent(
        `weft.${e.type}`,
        {
          ...(e.taskId ? { [WEFT.taskId]: e.taskId } : {}),
          ...(e.attempt ? { [WEFT.attempt]: e.attempt } : {}),
          ...(e.type === 'compensation.started' ? { [WEFT.backend]: e.data.backend } : {}),
          ...(e.type === 'compensation.failed' ? { 'error.type': e.data.error.code } : {}),
          ...(e.type === 'compensation.canceled' ? { [WEFT.reason]: e.data.reason } : {}),
        },
        at,
      )
      return
    case 'budget.exceeded':
      span.setAttribute(WEFT.budgetExceeded, true)
      span.addEvent('weft.budget.exceeded', flat(e.data), at)
      return
    case 'diagnostic':
      if (e.severity === 'warn' || e.severity === 'error')
        span.addEvent('weft.diagnostic', { 'weft.diagnostic.code': e.data.code }, at)
      return
  }
}
