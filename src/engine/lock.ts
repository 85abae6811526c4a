import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NsyncConfig } from '../config/types.js';
import { NsyncError } from '../core/errors.js';

/** The lock file of a config: one per config file, so two environments on one host do not block each other. */
export function lockPath(config: NsyncConfig): string {
  const id = createHash('sha256').update(config.file).digest('hex').slice(0, 16);
  return join(process.env.NSYNC_LOCK_DIR ?? tmpdir(), `nsync-${id}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acquire(path: string, config: NsyncConfig): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new NsyncError(
        'LOCKED',
        `another nsync run (pid ${holder}) holds the lock for ${config.file} (${path})`,
      );
    }
    // The holder is gone without releasing it: a stale lock is taken over.
    unlinkSync(path);
  }
  throw new NsyncError('LOCKED', `could not take the lock ${path}`);
}

/** Runs `fn` holding the config's lock; an overlapping run fails at once with LOCKED. */
export async function withRunLock<T>(config: NsyncConfig, fn: () => Promise<T>): Promise<T> {
  const path = lockPath(config);
  acquire(path, config);
  try {
    return await fn();
  } finally {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
