import { type Listener, type ListenerOptions, startListener } from '../queue/listener.js'
import type { Service } from './service.js'

/**
 * A continuous worker's LISTEN connection, proven by a NOTIFY round trip at start and at
 * every health check, and reconnected when a check fails. start() rejects with
 * ListenerUnavailableError where notifications cannot arrive.
 */
export class ListenerService implements Service {
  readonly name = 'listener'
  #listener: Listener | undefined

  constructor(private readonly options: ListenerOptions) {}

  async start(): Promise<void> {
    this.#listener ??= await startListener(this.options)
  }

  get healthy(): boolean {
    return this.#listener?.healthy ?? false
  }

  async stop(): Promise<void> {
    const listener = this.#listener
    this.#listener = undefined
    await listener?.close()
  }
}
