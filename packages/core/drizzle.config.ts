import { defineConfig } from 'drizzle-kit'

// Migrations live at the top level (`drizzle/`); the schema name in them is a placeholder.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/core/src/schema/index.ts',
  out: './drizzle',
  schemaFilter: ['pgq'],
})
