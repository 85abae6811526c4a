import ora from 'ora';
import type { Spinner } from './createRenderer.js';
import type { Output } from './output.js';

/**
 * ora spinners, loaded only when drawing to a terminal. The stream is a real terminal
 * whenever this is used, so the cast holds. A pty that reports zero columns (e.g.
 * `docker exec -t` before a resize) sends ora into an endless clear loop, so no spinner there.
 */
export function oraSpinner(text: string, stream: Output): Spinner | undefined {
  const columns = (stream as { columns?: number }).columns;
  if (columns === undefined || columns <= 0) return undefined;
  return ora({ text, stream: stream as NodeJS.WritableStream, isEnabled: true, discardStdin: false });
}
