import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { NsyncError, messageOf } from '../core/errors.js';
import { parseJson } from './json.js';

/** Where a config is looked for when none is named, in this order. */
export const SEARCH_PLACES = ['nsync.config.json', '.nsyncrc', '.nsyncrc.json', 'package.json'] as const;

export interface ReadConfig {
  /** Absolute path of the file. */
  file: string;
  /** Its parsed content (for package.json, the `nsync` property). */
  raw: unknown;
}

/** Reads exactly `file` (absolute); never falls back to another file. */
export async function readConfigFile(file: string, shownAs = file): Promise<ReadConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new NsyncError('CONFIG_INVALID', `config file not found: ${shownAs}`, {
        details: [`looked for ${file}`],
      });
    }
    if (code === 'EISDIR') {
      throw new NsyncError('CONFIG_INVALID', `config path is a folder, not a file: ${shownAs}`);
    }
    throw new NsyncError('CONFIG_INVALID', `cannot read config file ${file}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (text.trim() === '') throw new NsyncError('CONFIG_INVALID', `config file is empty: ${file}`);
  return { file, raw: parseJson(text, file) };
}

/**
 * cosmiconfig would merge any `$import` it finds in a loaded object, so its loader hands back
 * the text untouched, in a box, and parsing happens here. package.json must be parsed for
 * cosmiconfig to pick out its `nsync` property.
 */
class JsonText {
  constructor(readonly text: string) {}
}

const loadJsonText: Loader = (filepath, content) =>
  basename(filepath) === 'package.json' ? parseJson(content, filepath) : new JsonText(content);

const refuse: Loader = (filepath) => {
  throw new NsyncError('CONFIG_INVALID', `nsync reads only JSON config files, not ${filepath}`);
};

/** Looks in `cwd` (only there) for SEARCH_PLACES. */
export async function findConfigFile(cwd: string): Promise<ReadConfig> {
  const explorer = cosmiconfig('nsync', {
    searchPlaces: [...SEARCH_PLACES],
    searchStrategy: 'none',
    // JSON only: no config file can run code. `default` catches any place a
    // cosmiconfig meta-config might add.
    loaders: { '.json': loadJsonText, noExt: loadJsonText, default: refuse, ...jsLoaders(refuse) },
    ignoreEmptySearchPlaces: false,
    cache: false,
  });
  const found = await explorer.search(resolve(cwd));
  if (found === null) {
    const places = SEARCH_PLACES.map((place) =>
      place === 'package.json' ? 'package.json ("nsync" key)' : place,
    );
    throw new NsyncError('CONFIG_INVALID', `no nsync config found in ${resolve(cwd)}`, {
      details: [`looked for ${places.join(', ')}; or name the config file`],
    });
  }
  const file = found.filepath;
  if (found.isEmpty === true) throw new NsyncError('CONFIG_INVALID', `config file is empty: ${file}`);
  const raw: unknown = found.config instanceof JsonText ? parseJson(found.config.text, file) : found.config;
  return { file, raw };
}

function jsLoaders(loader: Loader): Record<string, Loader> {
  const extensions = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.yaml', '.yml'];
  return Object.fromEntries(extensions.map((extension) => [extension, loader]));
}
