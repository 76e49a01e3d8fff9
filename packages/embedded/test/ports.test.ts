import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { findFreePort, startEmbeddedPostgres } from '../src/index.js'

const listenOn = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })

describe('ports of embedded PostgreSQL', () => {
  it('findFreePort hands out a distinct port each time, each one free to bind', async () => {
    const ports: number[] = []
    for (let i = 0; i < 200; i++) ports.push(await findFreePort())
    expect(new Set(ports).size).toBe(ports.length)
    const last = await listenOn(ports.at(-1)!)
    await new Promise((resolve) => last.close(resolve))
  })

  it('a port given that is in use rejects with what to do, instead of waiting for ever', async () => {
    const taken = await listenOn(await findFreePort())
    const port = (taken.address() as net.AddressInfo).port
    try {
      const error = await startEmbeddedPostgres({ port }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).toContain(`failed to start on port ${port} (port ${port} is in use: give another port, or none to let the OS choose)`)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})
