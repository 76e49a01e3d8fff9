import pg from 'pg'

/** One pg session for a task (migrations, admin queries), always closed so the process can exit. */
export async function withPgClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  config: Omit<pg.ClientConfig, 'connectionString'> = {},
): Promise<T> {
  const client = new pg.Client({ connectionString: url, ...config })
  client.on('error', () => undefined) // a dropped connection surfaces as a failed query instead
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}
