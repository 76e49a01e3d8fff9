#!/usr/bin/env node
import { runCli } from './run.js'

// exitCode, not exit(): lets stdout drain when piped.
process.exitCode = await runCli(process.argv.slice(2))
// The command is done: a handle something else left open (the pool of a module `pgq run`
// loaded) must not keep the process alive. unref: it never delays an exit on its own.
setTimeout(() => process.exit(), 2000).unref()
