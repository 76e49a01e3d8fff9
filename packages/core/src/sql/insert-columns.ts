// Apart from the statement, so the declarations of validation need no drizzle-orm types.
/** Column arrays of a validated batch; JSON values are already serialised. */
export interface InsertJobsColumns {
  entrypoints: string[]
  payloads: (string | null)[]
  priorities: number[]
  executeAfter: (string | null)[]
  delayMs: (number | null)[]
  dedupeKeys: (string | null)[]
  headers: (string | null)[]
}
