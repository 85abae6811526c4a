import { describe, it, expect } from '@jest/globals';
import { NsyncError } from '../../src/core/errors.js';
import { renderCheck } from '../../src/cli/render/renderCheck.js';
import { renderError } from '../../src/cli/render/renderError.js';

function fakeStream(): { write(chunk: string): boolean; text: () => string } {
  let written = '';
  return { write: (chunk) => ((written += chunk), true), text: () => written };
}

describe('renderError', () => {
  it('prints an NsyncError with its details indented and no stack', () => {
    const stream = fakeStream();
    const error = new NsyncError('CONFIG_INVALID', 'nsync.json is invalid', {
      details: ['tables[0].name: must be a string', 'mode: must be master-slave or master-master'],
    });
    renderError(stream, error, { stack: true });
    expect(stream.text()).toBe(
      'nsync: nsync.json is invalid\n  tables[0].name: must be a string\n  mode: must be master-slave or master-master\n',
    );
  });

  it('prints an unexpected error as internal, with its stack only when asked', () => {
    const quiet = fakeStream();
    renderError(quiet, new TypeError('x is undefined'));
    expect(quiet.text()).toBe('nsync: internal error: x is undefined\n');

    const debug = fakeStream();
    renderError(debug, new TypeError('x is undefined'), { stack: true });
    expect(debug.text()).toMatch(/^nsync: internal error: x is undefined\nTypeError: x is undefined\n\s+at /);
  });
});

describe('renderCheck', () => {
  const report = {
    ok: false,
    items: [
      { level: 'ok', subject: 'master', message: 'connected' },
      { level: 'warn', subject: 'items', message: 'no index on updated_at' },
      { level: 'error', subject: 'orders', message: 'no primary key' },
    ],
  } as const;

  it('prints one line per item with its level, then the counts', () => {
    const stream = fakeStream();
    renderCheck({ ok: report.ok, items: [...report.items] }, { stream, isTTY: false });
    expect(stream.text()).toBe(
      'ok     master: connected\nwarn   items: no index on updated_at\nerror  orders: no primary key\n1 error, 1 warning\n',
    );
  });

  it('--json prints the items as one JSON array', () => {
    const stream = fakeStream();
    renderCheck({ ok: report.ok, items: [...report.items] }, { json: true, stream });
    expect(JSON.parse(stream.text())).toEqual(report.items);
    expect(stream.text().trimEnd().split('\n')).toHaveLength(1);
  });
});
