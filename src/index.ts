/** nsync's public API: everything the CLI and the server use, and what other programs may. */
export { loadConfig, buildConfig, redactConfig } from './config/index.js';
export type { NsyncConfig, TableConfig, DatabaseConfig, RemoteConfig } from './config/index.js';
export { NsyncError, messageOf, type ErrorCode } from './core/errors.js';
export type * from './core/types.js';
export { syncLocal, type SyncOptions } from './engine/localPass.js';
export { syncMulti, type MultiOptions } from './engine/multi.js';
export {
  status,
  CLOCK_WARN_MS,
  type StatusReport,
  type RemoteStatus,
  type TableStatus,
  type DirectionStatus,
} from './engine/status.js';
export { install, uninstall } from './engine/install.js';
export { check, type CheckItem, type CheckReport } from './engine/check.js';
export { withRunLock } from './engine/lock.js';
export {
  silentReporter,
  type Reporter,
  type RunEvent,
  type RunResult,
  type TableResult,
} from './engine/events.js';
export { VERSION } from './version.js';
export {
  Endpoint,
  PROTOCOL_VERSION,
  type EndpointInfo,
  type KeyRange,
  type PushRequest,
  type PushResult,
  type RangeChecksum,
  type TableInfo,
} from './engine/endpoint.js';
export type { PullPage } from './engine/peer.js';
export { phpRow } from './engine/wire.js';
export { canonicalTimestamp, sqlTimestamp } from './core/timestamp.js';
