import type { Endpoint, NsyncConfig } from '../index.js';
import type { Activity } from './activity.js';
import type { ServerMetrics } from './metrics.js';

/** What every route handler works with: one per running server. */
export interface ServerContext {
  config: NsyncConfig;
  endpoint: Endpoint;
  metrics: ServerMetrics;
  activity: Activity;
}
