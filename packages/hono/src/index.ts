// The runtime-neutral entry: the app factory and its parts. No Node built-ins.
export { createQueueApi, type QueueApi, type QueueApiOptions } from './app.js'
export type { PgqEnv } from './context.js'
export type { DashboardMount } from './dashboard/mount.js'
export type { DashboardOptions, DashboardQueue, DashboardSettings } from './dashboard/options.js'
export { createDashboard } from './dashboard/routes.js'
export type { MetricsOptions, MetricsSource } from './routes/metrics.js'
export { firingsJson, type TickOptions, type TickResult, tick } from './tick.js'
export type { AppQueue, NodeQueue, QueueScope } from './types.js'
