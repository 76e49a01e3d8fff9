#!/usr/bin/env node
import { runCli } from './run.js'

// exitCode, not exit(): lets stdout drain when piped.
process.exitCode = await runCli(process.argv.slice(2))
