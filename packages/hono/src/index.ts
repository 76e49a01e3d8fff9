// The runtime-neutral entry: the app factory and its parts. No Node built-ins.
export { createQueueApi, type QueueApi, type QueueApiOptions } from './app.js'
export type { PgqEnv } from './context.js'
export { firingsJson, type TickOptions, type TickResult, tick } from './tick.js'
export type { AppQueue, NodeQueue, QueueScope } from './types.js'
