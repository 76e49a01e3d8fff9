import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface MigrationFile {
  /** 1-based position in the journal; the database records the highest applied. */
  version: number
  tag: string
  hash: string
  statements: string[]
}

/** The migrations shipped in the package (the build copies them; same depth from src/ and dist/). */
export function defaultMigrationsFolder(): string {
  return process.env.PGQ_MIGRATIONS_DIR ?? fileURLToPath(new URL('../../migrations/', import.meta.url))
}

/** Reads drizzle-kit's journal and the SQL it lists, in order. */
export function readMigrationFiles(folder = defaultMigrationsFolder()): MigrationFile[] {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as {
    entries: { idx: number; tag: string }[]
  }
  return journal.entries.map((entry, i) => {
    const sql = readFileSync(`${folder}/${entry.tag}.sql`, 'utf8')
    return {
      version: i + 1,
      tag: entry.tag,
      hash: createHash('sha256').update(sql).digest('hex'),
      statements: sql
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter((s) => s.replace(/--.*$/gm, '').trim() !== ''),
    }
  })
}
