import { type Browser, chromium } from 'playwright-core'

/** Debian's `chromium` package, or WEFT_CHROMIUM. */
export function chromiumPath(): string {
  return process.env.WEFT_CHROMIUM || '/usr/bin/chromium'
}

/**
 * Headless Chromium that talks to nothing but the test server: no background networking, no
 * component updates, no sync, no crash reports. `--no-sandbox`: CI runs as root in a container.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--disable-extensions',
      '--disable-breakpad',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
      '--metrics-recording-only',
      '--no-first-run',
      '--no-default-browser-check',
      '--no-pings',
      '--disable-dev-shm-usage',
    ],
  })
}
