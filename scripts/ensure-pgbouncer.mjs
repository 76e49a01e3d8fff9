#!/usr/bin/env node
// Makes sure the PgBouncer binary the tests use (packages/core/test/setup/pgbouncer.ts) exists.
//
//   node scripts/ensure-pgbouncer.mjs
//
// - Installed (/usr/sbin/pgbouncer, or `pgbouncer` on PATH): exits 0 silently.
// - Else, as root with apt-get: `apt-get install -y -qq pgbouncer` (after `apt-get update -qq`
//   only if the install fails without it), then stops the system service the package may have
//   started (Debian's listens on 6432; the tests run their own), and prints one line.
// - Else: prints how to install it and exits 0 (the PgBouncer tests then fail, saying so).
//
// It only ever stops a pgbouncer that was not running before the install AND runs Debian's
// config (/etc/pgbouncer/...): pgbouncers the tests spawn meanwhile are left alone.
//
// PGQ_PGBOUNCER_BIN overrides the path looked for (then PATH is not searched); with a fake
// `apt-get` first on PATH this exercises the install branch. Plain Node ESM, no dependencies.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import path from 'node:path'

const OVERRIDE = process.env.PGQ_PGBOUNCER_BIN
const BIN = OVERRIDE || '/usr/sbin/pgbouncer'
const HOW = 'install it with `sudo apt-get install -y pgbouncer` (Debian/Ubuntu) or `brew install pgbouncer` (macOS)'
const SYSTEM_CONFIG = '/etc/pgbouncer/'

function executable(file) {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The binary, if installed: BIN, or (without an override) `pgbouncer` on PATH. */
function installed() {
  if (executable(BIN)) return BIN
  if (OVERRIDE) return undefined
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'pgbouncer'))) return path.join(dir, 'pgbouncer')
  }
  return undefined
}

function has(command) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } })
  return { status: r.error ? -1 : r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') }
}

/** Pids of processes named exactly pgbouncer (empty without pgrep: then nothing is stopped). */
function pgbouncerPids() {
  const r = run('pgrep', ['-x', 'pgbouncer'])
  return new Set(r.stdout.split(/\s+/).filter(Boolean).map(Number))
}

/** A pgbouncer of the system service (Debian's config), as opposed to one a test spawned. */
function isSystemService(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.startsWith(SYSTEM_CONFIG))
  } catch {
    return false // gone, or no /proc
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function kill(pid, signal) {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

async function waitGone(pids, ms) {
  const deadline = Date.now() + ms
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
}

function lastLine(text) {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? ''
}

/** Stops the service pids `started`; returns what it did. */
async function stopService(started) {
  const done = []
  if (has('service') && run('service', ['pgbouncer', 'stop']).status === 0) done.push('service pgbouncer stop')
  else if (has('systemctl') && run('systemctl', ['stop', 'pgbouncer']).status === 0) done.push('systemctl stop pgbouncer')
  await waitGone(started, 3000)
  let left = started.filter(alive)
  if (left.length) {
    for (const pid of left) kill(pid, 'SIGTERM')
    await waitGone(left, 3000)
    for (const pid of left.filter(alive)) kill(pid, 'SIGKILL')
    await waitGone(left, 1000)
    done.push(`killed pid ${left.join(', ')}`)
  }
  left = started.filter(alive)
  if (left.length) done.push(`pid ${left.join(', ')} still running`)
  return done.join(', then ')
}

async function main() {
  if (installed()) return

  if (process.getuid?.() !== 0 || !has('apt-get')) {
    console.log(`pgbouncer not found (${OVERRIDE ? BIN : `${BIN} or on PATH`}); the PgBouncer tests need it: ${HOW}.`)
    return
  }

  const before = pgbouncerPids()
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  const install = () => run('apt-get', ['install', '-y', '-qq', 'pgbouncer'], env)
  let updated = false
  let r = install()
  if (r.status !== 0) {
    // Usually missing or stale package lists (a fresh container): refresh them, then retry.
    const u = run('apt-get', ['update', '-qq'], env)
    updated = true
    if (u.status !== 0) {
      console.log(`pgbouncer not installed: \`apt-get update -qq\` failed (${lastLine(u.stderr) || `exit ${u.status}`}); ${HOW}.`)
      return
    }
    r = install()
  }
  const bin = installed()
  if (r.status !== 0 || !bin) {
    const why = r.status !== 0 ? lastLine(r.stderr) || `exit ${r.status}` : `it succeeded but ${BIN} is still missing`
    console.log(`pgbouncer not installed: \`apt-get install pgbouncer\` failed (${why}); ${HOW}.`)
    return
  }

  // The package may have started its service: stop only what the install started.
  const started = [...pgbouncerPids()].filter((pid) => !before.has(pid) && isSystemService(pid))
  const stopped = started.length ? await stopService(started) : ''
  const version = lastLine(run(bin, ['--version']).stdout.split('\n')[0] ?? '')
  console.log(
    `ensure-pgbouncer: installed ${version || 'pgbouncer'} at ${bin} with apt-get${updated ? ' (after apt-get update)' : ''}; ` +
      (stopped ? `stopped the system service it started (${stopped})` : 'no system service left running'),
  )
}

main().catch((e) => {
  // Never fail the caller over this: the PgBouncer tests say what is missing.
  console.log(`ensure-pgbouncer: ${e?.message ?? e}; ${HOW}.`)
})
