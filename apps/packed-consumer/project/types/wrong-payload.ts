// Must NOT compile: each line with an ERROR comment must have an error whose message contains
// the comment's text, and no other line may have one (types.test.ts checks both).
import type { Job } from '@pgq/core'
import { createQueue, type PgqDriver } from '@pgq/core/edge'

declare const driver: PgqDriver

const q = createQueue({ driver })
  .entrypoint('send_email', async (job: Job<{ to: string; subject: string }>) => {
    job.payload.to.toUpperCase()
  })
  .entrypoint('resize', async (job: Job<{ width: number }>) => {
    job.payload.width.toFixed()
  })

export async function calls() {
  await q.enqueue('send_email', { to: 'a@b.c', subject: 'hi' })
  await q.enqueue('resize', { width: 3 })
  await q.enqueue('send_email', { to: 'a@b.c' }) // ERROR 'subject'
  await q.enqueue('resize', { width: '3' }) // ERROR 'string' is not assignable to type 'number'
  await q.enqueue('nope', {}) // ERROR '"nope"'
  await q.enqueueMany([{ entrypoint: 'resize', payload: { to: 'x', subject: 'y' } }]) // ERROR 'to'
  await q.flow([{ key: 'a', entrypoint: 'resize', payload: { width: 1 } }, { key: 'b', after: ['a'], entrypoint: 'send_email', payload: { to: 'a@b.c', subject: 'done' } }])
  await q.flow([{ key: 'c', entrypoint: 'resize', payload: { too: 1 } }]) // ERROR 'too'
}

// A producer-only process declares the payload types without handlers.
const producerOnly = createQueue<{ report: { day: string } }>({ driver })
export const typedProducer = () => producerOnly.enqueue('report', { day: 1 }) // ERROR 'number' is not assignable to type 'string'
// With nothing registered or declared, any entrypoint and payload are accepted.
export const untyped = () => createQueue({ driver }).enqueue('anything', { at: 'all' })
