import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { COMMANDS, type CommandSpec, type OptionSpec } from './commands.js'
import { type CliIo, describeError, line, processIo, UsageError } from './context.js'

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** The installed package's version (package.json sits two folders up from src/cli and dist/cli). */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'Usage: pgq <command> [options]',
    '',
    'Install, upgrade, check and remove the pgq job queue schema; enqueue, inspect and control jobs; run workers; proxy Postgres for edge runtimes.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.aliases?.length ? ` (alias: ${c.aliases.join(', ')})` : ''}`),
    '',
    'Options:',
    '  -V, --version  print the version',
    '  -h, --help     print this help, or a command\'s with pgq <command> --help',
    '',
  ].join('\n')
}

function commandHelp(command: CommandSpec): string {
  const flag = ([name, o]: [string, OptionSpec]) => `--${kebab(name)}${o.type === 'string' ? ` <${o.placeholder ?? 'value'}>` : ''}`
  const rows = [...Object.entries(command.options), ['help', { type: 'boolean', description: 'print this help' }] as [string, OptionSpec]]
  const width = Math.max(...rows.map((r) => flag(r).length))
  return [
    `Usage: pgq ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    command.summary,
    ...(command.aliases?.length ? ['', `Alias: ${command.aliases.map((a) => `pgq ${a}`).join(', ')}`] : []),
    '',
    'Options:',
    ...rows.map((r) => `  ${flag(r).padEnd(width)}  ${r[1].description}${r[1].default ? ` (default: ${r[1].default})` : ''}`),
    '',
  ].join('\n')
}

/**
 * Flags as the command's camelCase keys, defaults filled in, and the positional arguments
 * (only for a command that declares some); unknown flags are a usage error.
 */
function parseFlags(command: CommandSpec, args: string[]): { flags: Record<string, unknown>; positionals: string[] } | 'help' {
  const options = Object.fromEntries([
    ...Object.entries(command.options).map(([name, o]) => [kebab(name), { type: o.type, multiple: o.multiple ?? false }]),
    ['help', { type: 'boolean', short: 'h' }],
  ])
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: command.args !== undefined })
  } catch (error) {
    // A value starting with a dash (--priority -5) is only read as --flag=value.
    const ambiguous = /^Option '(--[^']+)' argument is ambiguous/.exec((error as Error).message)
    const reason = ambiguous ? `${ambiguous[1]} needs a value; one starting with a dash is written ${ambiguous[1]}=<value>` : describeError(error).replace(/\. To specify.*$/, '')
    throw new UsageError(`${reason} (see pgq ${command.name} --help)`)
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  return { flags: Object.fromEntries(Object.entries(command.options).map(([name, o]) => [name, values[kebab(name)] ?? o.default])), positionals }
}

const findCommand = (name: string | undefined) => COMMANDS.find((c) => c.name === name || c.aliases?.includes(name ?? ''))

/**
 * Runs the pgq CLI and resolves to its exit code (0 ok, 1 failed, 2 bad invocation);
 * never throws and never calls process.exit, so tests can call it directly.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv
  try {
    if (first === '--version' || first === '-V') {
      line(io.stdout, cliVersion())
      return 0
    }
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? findCommand(rest[0]) : undefined
      io[first === undefined ? 'stderr' : 'stdout'](topic ? commandHelp(topic) : mainHelp())
      return first === undefined ? 2 : 0
    }
    const command = findCommand(first)
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(first)}; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (see pgq --help)`)
    const parsed = parseFlags(command, rest)
    if (parsed === 'help') {
      io.stdout(commandHelp(command))
      return 0
    }
    return await command.run(parsed.flags, io, parsed.positionals)
  } catch (error) {
    line(io.stderr, `pgq: ${describeError(error)}`)
    return error instanceof UsageError ? 2 : 1
  }
}
