// GET /jobs/:id shows a running job's progress and a finished job's result.
import { createQueue, type JobContext, type Json } from '@pgq/core'
import { describe, expect, it } from 'vitest'
import { createQueueApi } from '../src/index.js'
import { bearer, useAppDatabase } from './support.js'

describe('GET /jobs/:id', () => {
  const fixture = useAppDatabase('hono_result_progress')

  it('shows progress while the job runs, then its result and no progress once it succeeded', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const queue = createQueue({ driver: fixture.driver }).entrypoint('export', async (_job, ctx: JobContext) => {
      ctx.progress({ rows: 500, of: 1000 })
      await released
      return { url: 'https://files.example/export.csv', rows: 1000 }
    })
    const app = createQueueApi({ queue, token: 't' })
    const get = async (id: number) => (await app.request(`/jobs/${id}`, { headers: bearer('t') })).json()
    const id = await queue.enqueue('export', null)
    expect(await get(id)).toEqual({ id, entrypoint: 'export', status: 'queued', attempts: 0, inQueue: true, traceback: null, result: null, progress: null })
    const worker = queue.start({ heartbeatInterval: 50, pollInterval: 100 })
    try {
      // The heartbeat writes the progress and announces it: wait for that, not for time.
      let seen!: () => void
      const progressSeen = new Promise<void>((resolve) => (seen = resolve))
      const finished = queue.waitFor(id, { timeout: 20_000, onProgress: (p: Json) => p && seen() })
      await progressSeen
      expect(await get(id)).toEqual({ id, entrypoint: 'export', status: 'picked', attempts: 1, inQueue: true, traceback: null, result: null, progress: { rows: 500, of: 1000 } })
      release()
      expect(await finished).toBe('successful')
      expect(await get(id)).toEqual({
        id,
        entrypoint: 'export',
        status: 'successful',
        attempts: 1,
        inQueue: false,
        traceback: null,
        result: { url: 'https://files.example/export.csv', rows: 1000 },
        progress: null,
      })
    } finally {
      release()
      await worker.stop()
      await queue.close()
    }
  })
})
