// `npm run example`: the main job end to end on SQLite files, nothing to install. Starts a
// real `nsync serve` for the head office (examples/hq.config.json) on a free loopback port,
// runs `nsync multi` for a store (config.example.json) against it, prints the summary and
// stops the server. Exits with nsync multi's exit code.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nsync = (args, options = {}) =>
  spawnSync(process.execPath, [join(root, 'bin', 'nsync'), ...args], {
    cwd: root,
    stdio: 'inherit',
    ...options,
  });

for (const config of ['examples/hq.config.json', 'config.example.json']) {
  const installed = nsync(['install', config, '--quiet']);
  if (installed.status !== 0) process.exit(installed.status ?? 1);
}

const server = spawn(
  process.execPath,
  [join(root, 'bin', 'nsync'), 'serve', 'examples/hq.config.json', '--listen', '127.0.0.1:0'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('nsync serve did not start within 15 s')), 15_000);
  server.on('exit', (code) => reject(new Error(`nsync serve exited with code ${code}`)));
  createInterface({ input: server.stdout }).on('line', (text) => {
    // The server's JSON log: its address, and errors only (requests are logged too).
    let entry;
    try {
      entry = JSON.parse(text);
    } catch {
      entry = { level: 50, msg: text };
    }
    if (entry.msg === 'nsync serve listening') {
      clearTimeout(timer);
      resolve(entry.url);
    } else if (entry.level >= 50) process.stderr.write(`hq: ${entry.msg}\n`);
  });
}).catch((error) => {
  server.kill('SIGKILL');
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});

process.stdout.write(`hq serving at ${url}; running nsync multi for store-12\n`);
const port = new URL(url).port;
const run = nsync(['multi', 'config.example.json'], { env: { ...process.env, NSYNC_HQ_PORT: port } });
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
process.exit(run.status ?? 1);
