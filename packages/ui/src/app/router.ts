import { useEffect, useState } from 'react'

export type Route =
  | { page: 'runs' }
  | { page: 'run'; id: string; task?: string }
  | { page: 'start'; workflow?: string }
  | { page: 'missing'; path: string }

export function parseRoute(path: string, search: string): Route {
  const q = new URLSearchParams(search)
  if (path === '/' || path === '/runs' || path === '') return { page: 'runs' }
  const run = /^\/runs\/([A-Za-z0-9_-]{1,128})\/?$/.exec(path)
  if (run) {
    const task = q.get('task')
    return { page: 'run', id: run[1]!, ...(task ? { task } : {}) }
  }
  if (path === '/start') {
    const workflow = q.get('workflow')
    return { page: 'start', ...(workflow ? { workflow } : {}) }
  }
  return { page: 'missing', path }
}

const listeners = new Set<() => void>()

/** Client-side navigation: the server answers every page path with the same index.html. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  for (const l of listeners) l()
}

const read = () => parseRoute(location.pathname, location.search)

export function useRoute(): Route {
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const update = () => setRoute(read())
    listeners.add(update)
    window.addEventListener('popstate', update)
    return () => {
      listeners.delete(update)
      window.removeEventListener('popstate', update)
    }
  }, [])
  return route
}

/** Props for an `<a>` that navigates without reloading (and still opens in a new tab with a modifier). */
export function linkProps(to: string) {
  return {
    href: to,
    onClick(e: React.MouseEvent<HTMLAnchorElement>) {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      e.preventDefault()
      navigate(to)
    },
  }
}
