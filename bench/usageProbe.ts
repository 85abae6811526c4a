/**
 * Preloaded with `node --import` when GNU time is missing: at exit, writes the process's
 * peak RSS (KiB) and user / system CPU (s) to $NSYNC_BENCH_USAGE, as `time -f '%M %U %S'` would.
 */
import { writeFileSync } from 'node:fs';

const target = process.env.NSYNC_BENCH_USAGE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
