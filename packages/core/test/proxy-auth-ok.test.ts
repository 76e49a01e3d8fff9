// The proxy lifts a session's message cap when Postgres's AuthenticationOk goes by, however the
// server's bytes are split into chunks.
import { describe, expect, it } from 'vitest'
import { authOkWatcher } from '../src/proxy/auth-ok.js'

const message = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}
const int32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])

// What a SCRAM login ends with: SASLFinal, AuthenticationOk, a ParameterStatus.
const beforeOk = message('R', Buffer.concat([int32(12), Buffer.from('v=ZZhmTUkSeMt9yxuT0dtlsAZ8hbdZldkIGeF4NPTtQWU=')]))
const ok = message('R', int32(0))
const afterOk = message('S', Buffer.from('client_encoding\0UTF8\0'))
const stream = Buffer.concat([beforeOk, ok, afterOk])
const okEnds = beforeOk.length + ok.length

describe('authOkWatcher', () => {
  it('sees AuthenticationOk split at any byte', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const feed = authOkWatcher()
      const first = feed(stream.subarray(0, cut))
      expect(first, `cut at ${cut}`).toBe(cut >= okEnds)
      expect(feed(stream.subarray(cut)), `cut at ${cut}`).toBe(true)
    }
    const feed = authOkWatcher()
    const byteByByte = [...stream].map((b) => feed(Buffer.from([b])))
    expect(byteByByte.indexOf(true)).toBe(okEnds - 1)
  })

  it('does not fire on what comes before a login', () => {
    const feed = authOkWatcher()
    const md5 = message('R', Buffer.concat([int32(5), Buffer.from([0x52, 0, 0, 0])]))
    const error = message('E', Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed for user "R"\0RauthFailed\0\0'))
    expect([feed(md5), feed(error), feed(Buffer.from('N'))]).toEqual([false, false, false])
  })
})
