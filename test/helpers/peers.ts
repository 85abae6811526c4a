import type { Peer } from '../../src/engine/peer.js';

/** A real peer behind a wrapper; tests override what they watch or break. */
export class DelegatingPeer implements Peer {
  constructor(protected readonly inner: Peer) {}

  get id() {
    return this.inner.id;
  }
  get label() {
    return this.inner.label;
  }
  get changeLogDigits() {
    return this.inner.changeLogDigits;
  }
  shape(...args: Parameters<Peer['shape']>) {
    return this.inner.shape(...args);
  }
  isEmpty(...args: Parameters<Peer['isEmpty']>) {
    return this.inner.isEmpty(...args);
  }
  pull(...args: Parameters<Peer['pull']>) {
    return this.inner.pull(...args);
  }
  apply(...args: Parameters<Peer['apply']>) {
    return this.inner.apply(...args);
  }
  readCursor(...args: Parameters<Peer['readCursor']>) {
    return this.inner.readCursor(...args);
  }
  writeCursor(...args: Parameters<Peer['writeCursor']>) {
    return this.inner.writeCursor(...args);
  }
}
