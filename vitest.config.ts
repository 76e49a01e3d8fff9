import { defineConfig } from 'vitest/config'
import { pgOnWorkerdAliases } from './apps/worker/vitest.pg-aliases.ts'
import projects from './vitest.workspace.ts'

export default defineConfig({
  // The workerd pool resolves the CommonJS require()s inside node_modules with the root's
  // aliases, not the project's: the Hyperdrive Worker's pg needs them (vitest.hyperdrive.config.ts).
  resolve: { alias: pgOnWorkerdAliases },
  test: { projects },
})
