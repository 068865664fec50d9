import { useCallback, useMemo, useState } from 'react'
import { makeClient, type Session, SessionContext, storedKey, storeKey } from './api.js'
import { KeyPrompt } from './KeyPrompt.js'
import { RunPage } from './pages/RunPage.js'
import { RunsList } from './pages/RunsList.js'
import { StartRun } from './pages/StartRun.js'
import { linkProps, useRoute } from './router.js'
import { applyTheme, isDark, storedTheme, type Theme } from './theme.js'

export function App() {
  const [key, setKey] = useState(storedKey)
  const [needKey, setNeedKey] = useState(false)
  const [theme, setTheme] = useState<Theme>(storedTheme)
  const route = useRoute()

  const unauthorized = useCallback(() => setNeedKey(true), [])
  const session = useMemo<Session>(() => ({ client: makeClient(key), unauthorized }), [key, unauthorized])

  const toggleTheme = () => {
    const next: Theme = isDark() ? 'light' : 'dark'
    applyTheme(next)
    setTheme(next)
  }

  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" {...linkProps('/')}>
          weft
        </a>
        <nav aria-label="Main">
          <a {...linkProps('/')} aria-current={route.page === 'runs' ? 'page' : undefined}>
            Runs
          </a>
          <a {...linkProps('/start')} aria-current={route.page === 'start' ? 'page' : undefined}>
            Start a run
          </a>
        </nav>
        <span className="spacer" />
        <button type="button" className="ghost" onClick={() => setNeedKey(true)} title="API key">
          {key ? 'Key ✓' : 'Key'}
        </button>
        <button
          type="button"
          className="ghost"
          onClick={toggleTheme}
          aria-label={`Switch to ${isDark() ? 'light' : 'dark'} theme`}
          data-theme-choice={theme}
        >
          {isDark() ? '☀' : '☾'}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {needKey ? (
          <KeyPrompt
            current={key}
            onSubmit={(k) => {
              storeKey(k)
              setKey(k)
              setNeedKey(false)
            }}
            onCancel={key ? () => setNeedKey(false) : undefined}
          />
        ) : route.page === 'runs' ? (
          <RunsList />
        ) : route.page === 'run' ? (
          <RunPage key={route.id} id={route.id} task={route.task} />
        ) : route.page === 'start' ? (
          <StartRun workflow={route.workflow} />
        ) : (
          <section className="panel">
            <h1>Not found</h1>
            <p>
              There is no page at <code>{route.path}</code>. <a {...linkProps('/')}>See the runs</a>.
            </p>
          </section>
        )}
      </main>
    </SessionContext.Provider>
  )
}
