import { NsyncError, messageOf } from '../../index.js';
import type { Output } from './output.js';

/**
 * `nsync: <message>` and each detail indented below it. NsyncErrors are expected
 * failures and never show a stack; anything else is a bug in nsync, and shows its
 * stack when asked (--verbose or NSYNC_DEBUG=1).
 */
export function renderError(stream: Output, error: unknown, options: { stack?: boolean } = {}): void {
  if (error instanceof NsyncError) {
    const details = error.details.map((d) => `  ${d}\n`).join('');
    stream.write(`nsync: ${error.message}\n${details}`);
    return;
  }
  stream.write(`nsync: internal error: ${messageOf(error)}\n`);
  if (options.stack && error instanceof Error && error.stack) stream.write(`${error.stack}\n`);
}
