#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx compiles them as they load, so there is no build step.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

// Our tsconfig, not whichever one sits in the caller's cwd.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
await import('../src/cli/main.ts')
