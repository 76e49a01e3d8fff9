// The edge entry: enqueue and inspect from Workers and edge functions. No Node built-ins.
export { neonServerlessDriver } from './drivers/neon-serverless/index.js'
export * from './errors.js'
export type { InTransaction, QueueConnectionOptions } from './queue/options.js'
export { type BatchOptions, createProducer, type Producer } from './queue/producer.js'
export * as schema from './schema/index.js'
export type * from './types.js'
export type { EnqueueOptions, NewJob } from './validation/job-input.js'
