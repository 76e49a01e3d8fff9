/**
 * A maintenance service (River's startstop): named, with one start/stop lifecycle. A
 * continuous worker runs it in the background; a drain calls runOnce() within its budget.
 */
export interface Service {
  readonly name: string
  /** Begins its background work; rejects if it cannot (the worker then does not start). */
  start(): Promise<void>
  /** Ends it, waiting for work in flight; safe to call twice, or before start. */
  stop(): Promise<void>
  /** One pass of its work, for a drain. */
  runOnce?(): Promise<unknown>
}

/** Services started in order and stopped in reverse, as one. */
export class ServiceGroup {
  readonly #services: readonly Service[]
  readonly #started: Service[] = []

  constructor(services: readonly Service[]) {
    this.#services = services
  }

  /** Starts each in turn; if one fails, those started are stopped and the error is thrown. */
  async start(): Promise<void> {
    for (const service of this.#services) {
      try {
        await service.start()
      } catch (error) {
        await this.stop()
        throw error
      }
      this.#started.push(service)
    }
  }

  async stop(): Promise<void> {
    while (this.#started.length > 0) await this.#started.pop()!.stop()
  }
}
