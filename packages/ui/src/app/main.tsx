import '@xyflow/react/dist/base.css'
import './styles.css'
import './styles-run.css'
import './styles-lists.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.js'
import { applyTheme, storedTheme } from './theme.js'

applyTheme(storedTheme())
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
