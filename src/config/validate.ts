import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as AjvModule from 'ajv';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { CaptureMode, ConflictStrategy, ReplicationMode, SyncMode } from '../core/types.js';
import { pointerToPath, problem } from './path.js';

/** A database block as written (after validation). */
export interface RawDatabase {
  client?: string;
  url?: string;
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
  filename?: string;
}

export interface RawTable {
  name: string;
  primaryKey: string | string[];
  timestampColumn: string;
  ignoreColumns: string[];
  conflict: ConflictStrategy;
  capture: CaptureMode;
  maintainTimestamp: boolean;
  batchSize?: number;
  lookbackSeconds: number;
}

export interface RawRemote {
  url: string;
  apiKey?: string;
  syncMode: SyncMode;
  timeout: number;
  protocol: 'nsync' | 'nunez';
  tls?: { ca?: string; cert?: string; key?: string };
  retries: number;
  breakAfter: number;
  staleAfterMinutes: number;
}

export interface RawServer {
  listen: string;
  tls?: { cert: string; key: string; ca?: string };
  plainHttp: boolean;
  bodyLimitMB: number;
  requestTimeoutSeconds: number;
  rateLimit: { max: number; windowSeconds: number };
}

/** The config file once it has passed nsync.schema.json, with the schema's defaults filled in. */
export interface RawConfig {
  environment: string;
  mode: ReplicationMode;
  batchSize: number;
  tombstoneRetentionDays: number;
  api: { keys: string[] };
  server: RawServer;
  remoteEnvironments: Record<string, RawRemote>;
  databases: { master: RawDatabase; slave?: RawDatabase };
  replication: { tables: RawTable[] };
}

/**
 * nsync.schema.json sits at the package root: two folders up from src/config, three from
 * dist/src/config (the published package ships the root copy, not one under dist).
 */
function schemaFile(): string {
  for (const up of ['../../', '../../../']) {
    const candidate = fileURLToPath(new URL(`${up}nsync.schema.json`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('nsync.schema.json not found next to the nsync package');
}

const require = createRequire(import.meta.url);

/** The file `npm run build` writes beside this module: the validator as ajv standalone code. */
const PREBUILT = './schema-validator.cjs';

function newAjv(source: boolean): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof AjvModule;
  const ajv = new AjvClass({
    allErrors: true,
    useDefaults: true,
    allowUnionTypes: true,
    verbose: true,
    ...(source ? { code: { source: true } } : {}),
  });
  // Annotations VS Code understands; ajv only has to accept them.
  ajv.addKeyword('patternErrorMessage').addKeyword('deprecationMessage');
  return ajv;
}

const readSchema = () => JSON.parse(readFileSync(schemaFile(), 'utf8')) as object;

/** The validator's standalone code, written at build time so runs need neither ajv nor a compile (~0.15 s). */
export function standaloneValidatorSource(): string {
  const ajv = newAjv(true);
  const { default: toSource } = require('ajv/dist/standalone/index.js') as {
    default: (ajv: Ajv, validate: ValidateFunction) => string;
  };
  return toSource(ajv, ajv.compile(readSchema()));
}

let compiled: ValidateFunction<RawConfig> | undefined;

function validator(): ValidateFunction<RawConfig> {
  if (compiled !== undefined) return compiled;
  if (existsSync(fileURLToPath(new URL(PREBUILT, import.meta.url)))) {
    compiled = require(PREBUILT) as ValidateFunction<RawConfig>;
  } else {
    // Running from source (tests): compile the same schema with the same options.
    compiled = newAjv(false).compile<RawConfig>(readSchema());
  }
  return compiled;
}

/**
 * Checks `data` against nsync.schema.json, filling in defaults (it mutates `data`).
 * Returns every problem as `path: message`; none means `data` is a RawConfig.
 */
export function validateSchema(data: unknown): string[] {
  const validate = validator();
  if (validate(data)) return [];
  const lines = (validate.errors ?? []).map((error) => describe(error, data));
  return [...new Set(lines)];
}

function describe(error: ErrorObject, data: unknown): string {
  const path = pointerToPath(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return problem([...path, String(params.missingProperty)], 'is required');
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as object);
      return problem([...path, key], `unknown key${suggest(key, allowed)}`);
    }
    case 'type':
      return problem(path, `must be ${article(String(params.type))} (got ${typeName(error.data)})`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return problem(path, `must be one of ${allowed} (got ${shortJson(error.data)})`);
    }
    case 'pattern':
      return problem(
        path,
        (parent.patternErrorMessage as string | undefined) ?? `must match ${params.pattern}`,
      );
    case 'minLength':
    case 'minItems':
      return problem(path, params.limit === 1 ? 'must not be empty' : (error.message ?? 'is too short'));
    case 'minimum':
      return problem(path, `must be at least ${params.limit}`);
    case 'maximum':
      return problem(path, `must be at most ${params.limit}`);
    case 'exclusiveMinimum':
      return problem(path, `must be greater than ${params.limit}`);
    case 'uniqueItems':
      return problem(path, `must not repeat a value (items ${params.j} and ${params.i} are the same)`);
    default:
      return problem(path, error.message ?? `fails ${error.keyword}`);
  }
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function article(types: string): string {
  return types
    .split(',')
    .map((t) => ARTICLES[t] ?? t)
    .join(' or ');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a fractional number';
  return ARTICLES[typeof value] ?? typeof value;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** ` (did you mean "x"?)` for a near miss, else the keys allowed there. */
function suggest(key: string, allowed: string[]): string {
  if (allowed.length === 0) return '';
  const scored = allowed.map((name) => ({ name, d: distance(key.toLowerCase(), name.toLowerCase()) }));
  const best = scored.sort((a, b) => a.d - b.d)[0];
  if (best !== undefined && best.d <= Math.max(1, Math.floor(key.length / 3))) {
    return ` (did you mean "${best.name}"?)`;
  }
  return ` (allowed here: ${allowed.join(', ')})`;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
