#!/usr/bin/env node
import { runCli } from './run.js'

// `pgq stats | head -1`: the reader left, so there is nobody to tell; stop quietly with 0
// (Node ignores SIGPIPE, so unhandled this is an 'error' event and a stack trace).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

// exitCode, not exit(): lets stdout drain when piped.
process.exitCode = await runCli(process.argv.slice(2))
// The command is done: a handle something else left open (the pool of a module `pgq run`
// loaded) must not keep the process alive. unref: it never delays an exit on its own.
setTimeout(() => process.exit(), 2000).unref()
