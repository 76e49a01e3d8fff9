/** A small typed event emitter; listeners that throw do not break the worker. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>()

  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    const set = this.#listeners.get(name) ?? new Set()
    this.#listeners.set(name, set)
    set.add(listener as (event: never) => void)
    return () => void set.delete(listener as (event: never) => void)
  }

  /** Whether anyone listens: hot paths skip building an event nobody reads. */
  listens(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        ;(listener as (event: Events[K]) => void)(event)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
