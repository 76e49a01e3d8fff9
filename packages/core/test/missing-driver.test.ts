// Drivers are optional peer dependencies, loaded on first use: a missing one is named.
import { describe, expect, it } from 'vitest'
import { lazyPeer } from '../src/driver/peer.js'
import { MissingDependencyError } from '../src/errors.js'

// A specifier the type checker and bundlers cannot see, for a package that is not installed.
const absent = 'pgq-test-absent-driver'
const importAbsent = () => import(/* @vite-ignore */ absent)

describe('an optional peer dependency', () => {
  it('that is missing fails on first use with MissingDependencyError naming the package to install', async () => {
    const load = lazyPeer(absent, "pgq's test driver", importAbsent)
    const error = await load().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MissingDependencyError)
    expect(error).toMatchObject({ code: 'PGQ_MISSING_DEPENDENCY', packageName: absent })
    expect((error as Error).message).toBe(`pgq's test driver needs the package "${absent}", which is not installed: npm install ${absent}`)
    // Loaded once: the same failure again, without another import.
    expect(await load().catch((e: unknown) => e)).toBe(error)
  })

  it('that is installed loads once', async () => {
    let imports = 0
    const load = lazyPeer('pg', 'test', () => {
      imports++
      return import('pg')
    })
    const [a, b] = await Promise.all([load(), load()])
    expect(a).toBe(b)
    expect(typeof a.default.Pool).toBe('function')
    expect(imports).toBe(1)
  })

  it('whose own import fails for another reason passes that error through', async () => {
    const broken = new SyntaxError('Unexpected token in pg')
    const load = lazyPeer('pg', 'test', () => Promise.reject(broken))
    await expect(load()).rejects.toBe(broken)
  })
})
