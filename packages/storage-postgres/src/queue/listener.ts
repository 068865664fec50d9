/**
 * LISTEN on one connection of its own (a pooled connection cannot keep a LISTEN), to wake idle
 * workers when a task is queued and owners when a result is in. Wake-ups only shorten waits: every
 * waiter also polls, so a lost notification (a dropped connection, a server restart) costs one
 * poll interval, never a task. The connection comes back by itself, with backoff.
 */
import pg from 'pg'

export class Listener {
  #client: pg.Client | undefined
  #closed = false
  #retryMs = 100
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly connectionString: string,
    private readonly channels: string[],
    private readonly onNotify: (channel: string, payload: string) => void,
  ) {
    void this.#connect()
  }

  async #connect(): Promise<void> {
    if (this.#closed) return
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'weft-listen' })
    client.on('notification', (m) => this.onNotify(m.channel, m.payload ?? ''))
    client.on('error', () => this.#reconnect(client))
    client.on('end', () => this.#reconnect(client))
    try {
      await client.connect()
      for (const c of this.channels) await client.query(`LISTEN "${c}"`)
      if (this.#closed) {
        await client.end().catch(() => {})
        return
      }
      this.#client = client
      this.#retryMs = 100
    } catch {
      this.#reconnect(client)
    }
  }

  #reconnect(client: pg.Client): void {
    if (this.#client === client) this.#client = undefined
    client.removeAllListeners('end')
    client.on('error', () => {})
    void client.end().catch(() => {})
    if (this.#closed || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#connect()
    }, this.#retryMs)
    this.#timer.unref()
    this.#retryMs = Math.min(this.#retryMs * 2, 5000)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    const client = this.#client
    this.#client = undefined
    if (client) {
      client.removeAllListeners('end')
      client.on('error', () => {})
      await client.end().catch(() => {})
    }
  }
}

/** A wait that ends after `ms`, or at once when `wake()` is called meanwhile. */
export class Waker {
  #wake: (() => void) | undefined
  #pending = false

  wake(): void {
    if (this.#wake) this.#wake()
    else this.#pending = true
  }

  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const self = this
      function done() {
        clearTimeout(timer)
        self.#wake = undefined
        resolve()
      }
      this.#wake = done
    })
  }
}
