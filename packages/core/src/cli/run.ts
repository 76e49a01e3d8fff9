import { Command, CommanderError } from 'commander'
import { type CliIo, connectionOptions, describeError, line, processIo, UsageError } from './context.js'
import { install } from './install.js'
import { proxy } from './proxy.js'
import { uninstall } from './uninstall.js'
import { upgrade } from './upgrade.js'
import { verify } from './verify.js'

/**
 * Runs the pgq CLI and resolves to its exit code (0 ok, 1 failed, 2 bad invocation);
 * never throws and never calls process.exit, so tests can call it directly.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0
  const run =
    <T>(command: (flags: T, io: CliIo) => Promise<number>) =>
    async (flags: T) => {
      code = await command(flags, io)
    }
  const program = new Command('pgq')
    .description('Install, upgrade, check and remove the pgq job queue schema; proxy Postgres for edge runtimes')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
  connectionOptions(program.command('install').description('install pgq into a schema that does not have it')).action(run(install))
  connectionOptions(program.command('upgrade').description('apply pending migrations (safe to repeat)')).action(run(upgrade))
  connectionOptions(program.command('verify').description('list missing or altered pgq objects; exit 1 if any')).action(run(verify))
  connectionOptions(program.command('uninstall').description('drop the schema and all its jobs'))
    .option('--yes', 'really drop it')
    .action(run(uninstall))
  program
    .command('proxy')
    .description('serve a WebSocket-to-Postgres proxy for Neon\'s serverless driver (runs until SIGTERM)')
    .option('--database-url <url>', 'allow this database\'s host:port (default: $DATABASE_URL)')
    .option('--allow <host:port>', 'also allow this target (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option('--listen <host:port>', 'where to listen; port 0 picks a free one', '127.0.0.1:8080')
    .option('--max-connections <n>', 'most sessions at once', '100')
    .option('--idle-timeout <duration>', "close a session idle this long (ms or e.g. '5m')", '5m')
    .action(run(proxy))

  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (error) {
    // Commander has already printed its own message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    line(io.stderr, `pgq: ${describeError(error)}`)
    return error instanceof UsageError ? 2 : 1
  }
}
