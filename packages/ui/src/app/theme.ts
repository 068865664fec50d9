export type Theme = 'light' | 'dark' | 'system'
const STORAGE = 'weft.theme'

export function storedTheme(): Theme {
  try {
    const t = localStorage.getItem(STORAGE)
    return t === 'light' || t === 'dark' ? t : 'system'
  } catch {
    return 'system'
  }
}

/** `data-theme` on <html> overrides `prefers-color-scheme` (see styles.css). */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement
  if (theme === 'system') root.removeAttribute('data-theme')
  else root.setAttribute('data-theme', theme)
  try {
    if (theme === 'system') localStorage.removeItem(STORAGE)
    else localStorage.setItem(STORAGE, theme)
  } catch {
    // storage disabled: the choice lasts for this page
  }
}

export function isDark(): boolean {
  const attr = document.documentElement.getAttribute('data-theme')
  if (attr) return attr === 'dark'
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false
}
