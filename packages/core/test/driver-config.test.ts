// A driver's config is checked when the driver is made: a typed error naming the field, never
// the connection string (it carries a password), and not a login refused at the first query.
import { describe, expect, it } from 'vitest'
import { hyperdriveDriver } from '../src/driver/hyperdrive/index.js'
import { neonServerlessDriver } from '../src/driver/neon-serverless/index.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { ConfigurationError } from '../src/errors.js'

const factories = { 'node-postgres': nodePostgresDriver, 'neon-serverless': neonServerlessDriver } as const
const refusal = (make: () => unknown) => {
  try {
    make()
  } catch (error) {
    return error as Error
  }
  throw new Error('it was accepted')
}

describe.each(Object.entries(factories))('%s driver config', (name, make) => {
  const driver = make as (config: unknown) => unknown
  it.each([
    ['nothing', {}, /needs \{ connectionString \} \(a postgres:\/\/ URL\) or \{ pool \}/],
    ['an unset DATABASE_URL', { connectionString: undefined }, /connectionString must be a postgres:\/\/ URL, got undefined \(is DATABASE_URL set\?\)/],
    ['an empty URL', { connectionString: ' ' }, /connectionString must be a postgres:\/\/ URL, got an empty or non-string value \(string\)/],
    ['an unknown option', { connectionString: 'postgresql://u:hunter2@h/db', maxx: 3 }, new RegExp(`unknown ${name} driver option "maxx"; known: connectionString, max, connectTimeout, pool, logger, preparedStatements`)],
    ['a max that is not a count', { connectionString: 'postgresql://u:hunter2@h/db', max: 'three' }, /max must be an integer from 1 to 10000, got "three" \(string\)/],
    ['a bad connectTimeout', { connectionString: 'postgresql://u:hunter2@h/db', connectTimeout: 'soon' }, /connectTimeout must be a duration .*, got "soon" \(string\)/],
    ['a NaN connectTimeout', { connectionString: 'postgresql://u:hunter2@h/db', connectTimeout: Number.NaN }, /connectTimeout must be a duration .*, got NaN$/],
    ['a pool and a URL', { pool: { connect() {}, query() {} }, connectionString: 'postgresql://u:hunter2@h/db' }, /not both: connectionString are the pool's own settings/],
    ['a pool that is not one', { pool: {} }, /pool must be a pg-style Pool/],
    ['a logger without logQuery', { connectionString: 'postgresql://u:hunter2@h/db', logger: {} }, /logger must be an object with a logQuery/],
  ])('refuses %s with ConfigurationError', (_, config, message) => {
    const error = refusal(() => driver(config))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('hunter2')
  })

  it('names the option at fault as error.field', () => {
    expect(refusal(() => driver({ connectionString: 'postgresql://u@h/db', maxx: 3 }))).toMatchObject({ field: 'maxx' })
    expect(refusal(() => driver({ connectionString: 'postgresql://u@h/db', connectTimeout: 'soon' }))).toMatchObject({ field: 'connectTimeout' })
    expect(refusal(() => driver({ connectionString: undefined }))).toMatchObject({ field: 'connectionString' })
  })

  it('accepts a URL with its options, and a pool', async () => {
    const made = driver({ connectionString: 'postgresql://u@h/db', max: 2, connectTimeout: '2s', preparedStatements: false }) as { end(): Promise<void> }
    await made.end()
    expect(driver({ pool: { connect() {}, query() {}, end() {}, on() {}, options: {} } })).toBeTruthy()
  })
})

it('the hyperdrive driver checks what it passes on the same way', () => {
  expect(refusal(() => hyperdriveDriver({ hyperdrive: { connectionString: 'postgresql://u@h/db' }, maxx: 1 } as never))).toBeInstanceOf(ConfigurationError)
  expect(refusal(() => hyperdriveDriver({} as never))).toBeInstanceOf(ConfigurationError)
  expect(refusal(() => hyperdriveDriver(null as never))).toBeInstanceOf(ConfigurationError)
  expect(refusal(() => hyperdriveDriver({ hyperdrive: { connectionString: 'postgresql://u@h/db' }, connectionString: 'postgresql://u@h/other' } as never)).message).toMatch(/one of them/)
})
