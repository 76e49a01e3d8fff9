/** The one thing the migrator and verifier need from a driver: a single session. pg and Neon Clients fit. */
export interface SqlConnection {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
}
