import { compareTimestamps } from './timestamp.js';
import type { Change, ConflictStrategy } from './types.js';

/** What a target holds for a key before an incoming change is applied. */
export type LocalState =
  { kind: 'absent' } | { kind: 'row'; at: string | null; hash: string } | { kind: 'tombstone'; at: string };

/**
 * What to do with one incoming change (DESIGN §4).
 * - `insert` / `update` / `delete`: write it; `overwrite` marks a local version that was
 *   newer or equal-time and lost anyway (source-wins, or the hash tie-break).
 * - `tombstone`: nothing to delete, but remember the (later) deletion time, so a
 *   delete keeps flowing down a chain and an older row cannot bring it back.
 * - `skip`: keep what the target has (`older`: the incoming version lost; `same`: identical).
 * - `conflict`: under `manual`, apply nothing and record both versions.
 */
export type Decision =
  | { action: 'insert' | 'update' | 'delete'; overwrite: boolean }
  | { action: 'tombstone' }
  | { action: 'skip'; reason: 'older' | 'same' }
  | { action: 'conflict' };

const apply = (action: 'insert' | 'update' | 'delete', overwrite = false): Decision => ({
  action,
  overwrite,
});
const skip = (reason: 'older' | 'same'): Decision => ({ action: 'skip', reason });

/**
 * @param incomingHash canonical hash of an incoming row (ignored for deletes)
 * @param digits fractional-second digits both sides keep: times are compared at that precision
 */
export function decide(
  incoming: Change,
  incomingHash: string | null,
  local: LocalState,
  strategy: ConflictStrategy,
  digits: number,
): Decision {
  return incoming.op === 'upsert'
    ? decideUpsert(incoming.at, incomingHash ?? '', local, strategy, digits)
    : decideDelete(incoming.at, local, strategy, digits);
}

function decideUpsert(
  at: string | null,
  hash: string,
  local: LocalState,
  strategy: ConflictStrategy,
  digits: number,
): Decision {
  if (local.kind === 'absent') return apply('insert');
  if (local.kind === 'tombstone') {
    if (strategy === 'source-wins') return apply('insert', compareTimestamps(at, local.at, digits) <= 0);
    if (strategy === 'target-wins') return skip('older');
    if (compareTimestamps(at, local.at, digits) > 0) return apply('insert');
    return strategy === 'manual' ? { action: 'conflict' } : skip('older');
  }
  if (local.hash === hash) return skip('same');
  const order = compareTimestamps(at, local.at, digits);
  switch (strategy) {
    case 'source-wins':
      return apply('update', order <= 0);
    case 'target-wins':
      return skip('older');
    case 'manual':
      return order > 0 ? apply('update') : { action: 'conflict' };
    case 'lww':
      if (order > 0) return apply('update');
      if (order < 0) return skip('older');
      // Equal times, different content: every side picks the larger hash, so all converge.
      return hash > local.hash ? apply('update', true) : skip('older');
  }
}

function decideDelete(at: string, local: LocalState, strategy: ConflictStrategy, digits: number): Decision {
  if (local.kind === 'absent') return { action: 'tombstone' };
  if (local.kind === 'tombstone') {
    return compareTimestamps(at, local.at, digits) > 0 ? { action: 'tombstone' } : skip('same');
  }
  const order = compareTimestamps(at, local.at, digits);
  switch (strategy) {
    case 'source-wins':
      return apply('delete', order < 0);
    case 'target-wins':
      return skip('older');
    case 'manual':
      return order >= 0 ? apply('delete') : { action: 'conflict' };
    case 'lww':
      return order >= 0 ? apply('delete') : skip('older');
  }
}
