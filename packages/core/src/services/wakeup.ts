/** Lets a loop sleep until woken or until a timeout, whichever comes first. */
export class Wakeup {
  #pending = false
  #resolve: (() => void) | undefined

  wake(): void {
    this.#pending = true
    this.#resolve?.()
  }

  /** Resolves at once if woken since the last wait. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      const self = this
      function done() {
        clearTimeout(timer)
        self.#resolve = undefined
        self.#pending = false
        resolve()
      }
      this.#resolve = done
    })
  }
}
