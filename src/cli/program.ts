import { Command, Option } from 'commander';
import type { CheckFlags } from './commands/check.js';
import type { InstallFlags } from './commands/install.js';
import type { MultiFlags } from './commands/multi.js';
import type { ServeFlags } from './commands/serve.js';
import type { StatusFlags } from './commands/status.js';
import type { SyncFlags } from './commands/sync.js';
import type { CliIo } from './io.js';

/** What a command's action reports back to run(): its exit code, or that it was verbose. */
export interface ProgramHooks {
  /** Called first by every action, so an error thrown later knows whether to show a stack. */
  verbose(on: boolean): void;
  done(exitCode: number): void;
}

/** `--table a --table b` and `--table a,b` both give ['a', 'b'] (also `--env`). */
function collectTables(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  ];
}

const configArgument = [
  '[config]',
  'config file (default: nsync.config.json, .nsyncrc or package.json "nsync", found from the current directory)',
] as const;
const quiet = (): Option => new Option('--quiet', 'print only failures and warnings').conflicts('verbose');
const verbose = (): Option => new Option('--verbose', 'print progress lines and, on a crash, the stack');

/**
 * The nsync command line. Command modules are imported inside the actions (the type
 * imports above are erased), so `--help` and `--version` load no command or
 * renderer. `version` may be '' when --version is not on the command line (see main.ts).
 * Nothing here exits the process.
 */
export function buildProgram(io: CliIo, version: string, hooks: ProgramHooks): Command {
  const program = new Command('nsync')
    .description('Keep the same database tables in sync across environments.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(`nsync: ${text.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(run nsync --help for usage)');

  program
    .command('sync')
    .description('sync master and slave in this environment (local pass)')
    .argument(...configArgument)
    .option('--table <name>', 'only this table (repeatable, or a comma list)', collectTables)
    .option('--dry-run', 'read and compare, write nothing')
    .option('--json', 'one JSON object per event on stdout')
    .addOption(quiet())
    .addOption(verbose())
    .action(async (config: string | undefined, flags: SyncFlags) => {
      hooks.verbose(flags.verbose === true);
      const { syncCommand } = await import('./commands/sync.js');
      hooks.done(await syncCommand(config, flags, io));
    });

  program
    .command('multi')
    .description('the local pass, then a push, pull or both with every remote environment')
    .argument(...configArgument)
    .option('--env <name>', 'only this remote (repeatable, or a comma list)', collectTables)
    .option('--table <name>', 'only this table (repeatable, or a comma list)', collectTables)
    .option('--no-local', 'skip the local pass (master ⇄ slave)')
    .option('--dry-run', 'read and compare, write nothing')
    .option('--json', 'one JSON object per event on stdout')
    .addOption(quiet())
    .addOption(verbose())
    .action(async (config: string | undefined, flags: MultiFlags) => {
      hooks.verbose(flags.verbose === true);
      const { multiCommand } = await import('./commands/multi.js');
      hooks.done(await multiCommand(config, flags, io));
    });

  program
    .command('status')
    .description('health of every remote, and per table the last exchange, pending changes and conflicts')
    .argument(...configArgument)
    .option('--env <name>', 'only this remote (repeatable, or a comma list)', collectTables)
    .option('--table <name>', 'only this table (repeatable, or a comma list)', collectTables)
    .option('--json', 'print the report as one JSON object')
    .addOption(verbose())
    .action(async (config: string | undefined, flags: StatusFlags & { verbose?: boolean }) => {
      hooks.verbose(flags.verbose === true);
      const { statusCommand } = await import('./commands/status.js');
      hooks.done(await statusCommand(config, flags, io));
    });

  program
    .command('check')
    .description('check config, connections, keys, columns, indexes, triggers and clock skew')
    .argument(...configArgument)
    .option('--json', 'print the findings as a JSON array')
    .addOption(verbose())
    .action(async (config: string | undefined, flags: CheckFlags & { verbose?: boolean }) => {
      hooks.verbose(flags.verbose === true);
      const { checkCommand } = await import('./commands/check.js');
      hooks.done(await checkCommand(config, flags, io));
    });

  for (const action of ['install', 'uninstall'] as const) {
    program
      .command(action)
      .description(`${action === 'install' ? 'create' : 'drop'} nsync's tables and triggers`)
      .argument(...configArgument)
      .option('--json', 'one JSON object per event on stdout')
      .addOption(quiet())
      .addOption(verbose())
      .action(async (config: string | undefined, flags: InstallFlags) => {
        hooks.verbose(flags.verbose === true);
        const { installCommand } = await import('./commands/install.js');
        hooks.done(await installCommand(action, config, flags, io));
      });
  }
  program
    .command('serve')
    .description("serve this environment's master database to other environments (HTTP API)")
    .argument(...configArgument)
    .option('--listen <host:port>', 'address to listen on (default: server.listen, or 127.0.0.1:8080)')
    .option('--insecure-no-auth', 'accept requests without an API key (loopback addresses only)')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .addOption(verbose())
    .action(async (config: string | undefined, flags: ServeFlags & { verbose?: boolean }) => {
      hooks.verbose(flags.verbose === true);
      const { serveCommand } = await import('./commands/serve.js');
      hooks.done(await serveCommand(config, flags, io));
    });
  return program;
}
