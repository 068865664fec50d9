/** A pino-compatible logger: `logger.info({ port }, 'listening')`. */
export interface Logger {
  debug?(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** One JSON line per record on stderr (what pino writes, without pino). */
export function createStderrLogger(): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    try {
      process.stderr.write(
        `${JSON.stringify({ level, time: new Date().toISOString(), name: 'weft-server', ...obj, ...(msg ? { msg } : {}) })}\n`,
      )
    } catch {
      // A logger never throws.
    }
  }
  return { info: write('info'), warn: write('warn'), error: write('error') }
}

/** Drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
