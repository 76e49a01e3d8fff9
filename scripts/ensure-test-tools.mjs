#!/usr/bin/env node
// Makes sure the Debian tools some tests drive exist: Chromium (the web dashboard's browser
// test), promtool (checks /metrics output) and tmux (the terminal dashboard's test).
//
//   node scripts/ensure-test-tools.mjs
//
// Installed: exits 0 silently. Else, as root with apt-get: installs the missing packages
// (after `apt-get update -qq` only if the install fails without it), stops a prometheus
// server the package may have started (only the promtool binary is wanted), and prints one
// line. Else: prints how to install them and exits 0 (those tests then fail, saying so).
// pgbouncer has its own script (ensure-pgbouncer.mjs). Plain Node ESM, no dependencies.
import { spawnSync } from 'node:child_process'

const TOOLS = [
  { command: 'chromium', pkg: 'chromium' },
  { command: 'promtool', pkg: 'prometheus' },
  { command: 'tmux', pkg: 'tmux' },
]

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  return { status: r.error ? -1 : r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') }
}
const has = (command) => run('sh', ['-c', 'command -v "$1"', 'sh', command]).status === 0
const pids = (name) => new Set(run('pgrep', ['-x', name]).stdout.split(/\s+/).filter(Boolean).map(Number))
const lastLine = (text) => text.trim().split('\n').filter(Boolean).at(-1) ?? ''

const missing = TOOLS.filter((t) => !has(t.command))
if (missing.length > 0) {
  const pkgs = missing.map((t) => t.pkg)
  const how = `install them with \`sudo apt-get install -y ${pkgs.join(' ')}\``
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    console.log(`missing ${missing.map((t) => t.command).join(', ')}, which some tests need: ${how}.`)
  } else {
    const before = pids('prometheus')
    const install = () => run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs])
    let r = install()
    if (r.status !== 0 && run('apt-get', ['update', '-qq']).status === 0) r = install()
    for (const pid of pids('prometheus')) if (!before.has(pid)) run('kill', [String(pid)])
    const still = missing.filter((t) => !has(t.command))
    if (still.length === 0) console.log(`ensure-test-tools: installed ${pkgs.join(', ')} with apt-get`)
    else console.log(`ensure-test-tools: could not install ${still.map((t) => t.pkg).join(', ')} (${lastLine(r.stderr) || `exit ${r.status}`}); ${how}.`)
  }
}
