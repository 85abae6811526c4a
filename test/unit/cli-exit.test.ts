import { describe, it, expect } from '@jest/globals';
import { NsyncError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { EXIT_CODES, exitCodeForCheck, exitCodeForError, exitCodeForRun } from '../../src/cli/exitCodes.js';
import { run } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

describe('exit codes (DESIGN §7)', () => {
  it.each<[ErrorCode, number]>([
    ['TABLE', 1],
    ['SCHEMA', 1],
    ['CURSOR_EXPIRED', 1],
    ['INTERNAL', 1],
    ['USAGE', 2],
    ['CONFIG_INVALID', 3],
    ['CONNECT', 4],
    ['LOCKED', 5],
  ])('%s → %i', (code, exit) => {
    expect(EXIT_CODES[code]).toBe(exit);
    expect(exitCodeForError(new NsyncError(code, 'x'))).toBe(exit);
  });

  it('maps anything that is not an NsyncError to 1', () => {
    expect(exitCodeForError(new TypeError('x'))).toBe(1);
    expect(exitCodeForError('a string')).toBe(1);
  });

  it('maps a run to 0 when every table synced, else 1', () => {
    const run = { dryRun: false, tables: [], durationMs: 1 };
    expect(exitCodeForRun({ ...run, ok: true })).toBe(0);
    expect(exitCodeForRun({ ...run, ok: false })).toBe(1);
  });

  it('maps a check to 1 when any item is an error; warnings pass', () => {
    const warn = { level: 'warn', subject: 'items', message: 'no index' } as const;
    const error = { level: 'error', subject: 'orders', message: 'no primary key' } as const;
    expect(exitCodeForCheck({ ok: true, items: [warn] })).toBe(0);
    expect(exitCodeForCheck({ ok: false, items: [warn, error] })).toBe(1);
  });
});

describe('run: usage errors', () => {
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: false,
      env: {},
      cwd: process.cwd(),
    };
    const code = await run(['node', 'nsync', ...args], io);
    return { code, stdout, stderr };
  }

  it.each([
    [['bogus'], "nsync: unknown command 'bogus'"],
    [['sync', '--bogus'], "nsync: unknown option '--bogus'"],
    [['sync', 'a.json', 'b.json'], 'nsync: too many arguments'],
    [['sync', '--table'], "nsync: option '--table <name>' argument missing"],
    [['sync', '--quiet', '--verbose'], "nsync: option '--quiet' cannot be used with option '--verbose'"],
  ])('%j exits 2 with commander’s message and no stack', async (args, message) => {
    const { code, stdout, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 with the help on stderr when no command is given', async () => {
    const { code, stderr } = await cli();
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: nsync');
  });

  it('--help prints to stdout and exits 0', async () => {
    const { code, stdout, stderr } = await cli('sync', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: nsync sync [options] [config]');
    expect(stdout).toContain('--dry-run');
    expect(stderr).toBe('');
  });

  it('--version prints the version and exits 0', async () => {
    const { code, stdout } = await cli('--version');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
