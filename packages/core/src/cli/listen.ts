import type { QueueNotification } from '../queue/notify-events.js'
import { startListener } from '../queue/listener.js'
import { schemaGate } from '../queue/schema-check.js'
import { eventsChannel } from '../schema/schema-name.js'
import { type CliIo, type ConnectionFlags, describeError, line } from './context.js'
import { withProducer } from './session.js'

type ListenFlags = ConnectionFlags & { json?: boolean }

/**
 * Tails the queue's events (LISTEN on `<schema>_events`, parsed as workers parse them), one
 * line each, until SIGINT or SIGTERM. Says on stderr once LISTEN is proven to deliver.
 */
export async function listen(flags: ListenFlags, io: CliIo): Promise<number> {
  return withProducer(flags, io, async ({ driver, schema }) => {
    // LISTEN takes any channel name: without this a wrong --schema would wait in silence forever.
    await schemaGate(driver, schema, true)()
    const channel = eventsChannel(schema)
    const stopped = untilSignal()
    const print = (n: QueueNotification) => line(io.stdout, flags.json ? JSON.stringify({ at: new Date(), ...n }) : `${new Date().toISOString()}  ${describe(n)}`)
    const listener = await startListener({
      driver,
      channel,
      onNotification: print,
      onLost: (error) => line(io.stderr, `pgq listen: connection lost (${describeError(error)}); reconnecting, events meanwhile are missed`),
      onRestored: () => line(io.stderr, 'pgq listen: listening again'),
    })
    line(io.stderr, `pgq listen: listening on ${channel} (Ctrl-C or SIGTERM stops)`)
    const signal = await stopped
    await listener.close()
    line(io.stderr, `pgq listen: ${signal}: stopped`)
    return 0
  })
}

function describe(n: QueueNotification): string {
  switch (n.type) {
    case 'insert':
      return `insert  ${n.entrypoints === 'all' ? '(too many entrypoints to list)' : Object.entries(n.entrypoints).map(([name, k]) => `${name}=${k}`).join(' ')}`
    case 'done':
      return `done    ${n.ids.join(',')}${n.status ? ` (${n.status})` : ''}`
    case 'cancel':
      return `cancel  ${n.ids.join(',')}`
    case 'progress':
      return `progress ${n.ids.join(',')}`
    default:
      return n.type
  }
}

/** Resolves with the first SIGINT or SIGTERM's name. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (name: string) => () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(name)
    }
    const onInt = stop('SIGINT')
    const onTerm = stop('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
  })
}
