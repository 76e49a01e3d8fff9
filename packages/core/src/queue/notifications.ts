import type { Executor, ListenerConnection } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { inAutocommit, listenOn, notifyPing } from '../sql/listen.js'

/** The statements of the listener's connection and of its delivery proof. */
export const notifications = {
  /** Through the pool, not the listener's own connection: it proves the path others notify by. */
  ping: (pool: Executor, channel: string, id: string) => execute(pool, notifyPing(channel, id)),
  listen: (conn: ListenerConnection, channel: string) => execute(asExecutor(conn), listenOn(channel)),
  async inAutocommit(conn: ListenerConnection): Promise<boolean> {
    const [row] = await execute(asExecutor(conn), inAutocommit)
    return row?.autocommit === true
  },
}

const asExecutor = (conn: ListenerConnection): Executor => ({ query: (text, values) => conn.query(text, values) })
