import { isAbsolute, resolve } from 'node:path';
import { NsyncError } from '../core/errors.js';
import { substituteEnv } from './env.js';
import { normalise } from './normalise.js';
import { findConfigFile, readConfigFile } from './read.js';
import { checkRules } from './rules.js';
import type { NsyncConfig } from './types.js';
import { validateSchema, type RawConfig } from './validate.js';

export interface LoadConfigOptions {
  /** Where a relative `path` is resolved and where the search looks (default: process.cwd()). */
  cwd?: string;
  /** Source of `${VAR}` values (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads, checks and normalises a config. With `path`, exactly that file (missing is an
 * error, never a fallback); without, the first of nsync.config.json, .nsyncrc,
 * .nsyncrc.json, package.json#nsync in `cwd`. Every problem is reported at once in one
 * NsyncError('CONFIG_INVALID') whose `details` are `path: message` lines.
 */
export async function loadConfig(path?: string, options: LoadConfigOptions = {}): Promise<NsyncConfig> {
  const cwd = options.cwd ?? process.cwd();
  const read =
    path === undefined ? await findConfigFile(cwd) : await readConfigFile(resolve(cwd, path), path);
  return buildConfig(read.raw, read.file, options.env ?? process.env);
}

/**
 * The checking half of loadConfig, for a config already parsed from `file` (which places
 * relative SQLite paths; made absolute against process.cwd() if it is not).
 */
export function buildConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): NsyncConfig {
  const absolute = isAbsolute(file) ? file : resolve(file);
  const substituted = substituteEnv(raw, env);
  // A string whose variable is missing would also fail its pattern: report the cause only.
  const schemaErrors = validateSchema(substituted.value).filter(
    (line) => !substituted.failedPaths.has(pathOf(line)),
  );
  const first = [...substituted.errors, ...schemaErrors];
  if (first.length > 0) throw invalid(absolute, first);

  const checked = substituted.value as RawConfig;
  const rules = checkRules(checked);
  const { config, errors } = normalise(checked, absolute);
  const all = [...rules, ...errors];
  if (all.length > 0 || config === undefined) throw invalid(absolute, all);
  return { ...config, written: raw };
}

function pathOf(line: string): string {
  return line.slice(0, line.indexOf(': '));
}

function invalid(file: string, details: string[]): NsyncError {
  const count = `${details.length} problem${details.length === 1 ? '' : 's'}`;
  return new NsyncError('CONFIG_INVALID', `invalid config ${file}: ${count}`, { details });
}
