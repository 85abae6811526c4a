export { loadConfig, buildConfig, type LoadConfigOptions } from './load.js';
export { redactConfig } from './redact.js';
export { SEARCH_PLACES } from './read.js';
export type { Connection, DatabaseConfig, NsyncConfig, RemoteConfig, TableConfig } from './types.js';
