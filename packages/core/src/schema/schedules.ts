import { bigint, text, timestamp, unique } from 'drizzle-orm/pg-core'
import { pgqSchema } from './pg-schema.js'

const tz = { withTimezone: true, mode: 'date' } as const

export const scheduleStatus = pgqSchema.enum('schedule_status', ['idle', 'running'])

/** Cron schedules: one row per (entrypoint, expression); a tick claims due rows. */
export const schedules = pgqSchema.table(
  'schedules',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    entrypoint: text('entrypoint').notNull(),
    expression: text('expression').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    status: scheduleStatus('status').notNull().default('idle'),
    nextRun: timestamp('next_run', tz).notNull(),
    lastRun: timestamp('last_run', tz),
    heartbeat: timestamp('heartbeat', tz).notNull().defaultNow(),
    created: timestamp('created', tz).notNull().defaultNow(),
    updated: timestamp('updated', tz).notNull().defaultNow(),
  },
  (t) => [unique('schedules_entrypoint_expression_key').on(t.entrypoint, t.expression)],
)
