import type { PgqDriver } from '../../src/driver/driver.js'
import { createQueue, type QueueOptions } from '../../src/runtime/queue.js'
import { type DriverName, makeDriver } from './queue-database.js'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A queue on the fixture's driver; options as createQueue's. */
export function queueOn(driver: PgqDriver, options: Partial<QueueOptions> = {}) {
  return createQueue({ driver, ...options })
}

/** A driver of its own whose statements are recorded, to count round trips. */
export function countingDriver(name: DriverName, url: string) {
  const statements: string[] = []
  const driver = makeDriver(name, url, 10, { logQuery: (query: string) => void statements.push(query) })
  return { driver, count: (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length, statements }
}
