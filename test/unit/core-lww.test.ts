import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { decide, type Decision, type LocalState } from '../../src/core/lww.js';
import type { Change, ConflictStrategy } from '../../src/core/types.js';

/** DESIGN §4: last-write-wins and the three other strategies, one rule per test. */

const T0 = '2025-01-01T09:00:00Z';
const T1 = '2025-01-01T10:00:00Z';
const T2 = '2025-01-01T11:00:00Z';

const LOW = 'a'.repeat(64);
const HIGH = 'f'.repeat(64);
const MID = '7'.repeat(64);

const row = (at: string | null): Change => ({ op: 'upsert', key: [1], at, row: { id: 1, updated_at: at } });
const del = (at: string): Change => ({ op: 'delete', key: [1], at });
const localRow = (at: string | null, hash = MID): LocalState => ({ kind: 'row', at, hash });
const localTomb = (at: string): LocalState => ({ kind: 'tombstone', at });
const ABSENT: LocalState = { kind: 'absent' };

const insert = (overwrite = false): Decision => ({ action: 'insert', overwrite });
const update = (overwrite = false): Decision => ({ action: 'update', overwrite });
const remove = (overwrite = false): Decision => ({ action: 'delete', overwrite });
const TOMBSTONE: Decision = { action: 'tombstone' };
const OLDER: Decision = { action: 'skip', reason: 'older' };
const SAME: Decision = { action: 'skip', reason: 'same' };
const CONFLICT: Decision = { action: 'conflict' };

const lww = (incoming: Change, hash: string | null, local: LocalState, digits = 6) =>
  decide(incoming, hash, local, 'lww', digits);

describe('decide: lww, nothing local', () => {
  it('inserts an incoming row when the target has neither row nor tombstone', () => {
    expect(lww(row(T1), LOW, ABSENT)).toEqual(insert());
  });

  it('inserts an incoming row without a timestamp', () => {
    expect(lww(row(null), LOW, ABSENT)).toEqual(insert());
  });

  it('records an incoming delete as a tombstone, so it keeps flowing and blocks older rows', () => {
    expect(lww(del(T1), null, ABSENT)).toEqual(TOMBSTONE);
  });
});

describe('decide: lww, incoming row against a local row', () => {
  it('applies a newer incoming row', () => {
    expect(lww(row(T2), LOW, localRow(T1))).toEqual(update());
  });

  it('keeps the local row when the incoming one is older (skippedOlder)', () => {
    expect(lww(row(T0), HIGH, localRow(T1, LOW))).toEqual(OLDER);
  });

  it('skips an identical version (same time, same content)', () => {
    expect(lww(row(T1), MID, localRow(T1, MID))).toEqual(SAME);
  });

  it('on equal time and different content, the larger hash wins and is flagged as an overwrite', () => {
    expect(lww(row(T1), HIGH, localRow(T1, LOW))).toEqual(update(true));
    expect(lww(row(T1), LOW, localRow(T1, HIGH))).toEqual(OLDER);
  });

  it('the equal-time tie-break is symmetric: exactly one of two versions wins from both sides', () => {
    const a = { at: T1, hash: 'b'.repeat(64) };
    const b = { at: T1, hash: 'c'.repeat(64) };
    const bOnA = lww(row(b.at), b.hash, localRow(a.at, a.hash));
    const aOnB = lww(row(a.at), a.hash, localRow(b.at, b.hash));
    expect(bOnA).toEqual(update(true));
    expect(aOnB).toEqual(OLDER);
  });

  it('compares hashes as text, the same on every side (hex digits order as characters)', () => {
    const nine = '9' + '0'.repeat(63);
    const a = 'a' + '0'.repeat(63);
    expect(lww(row(T1), a, localRow(T1, nine))).toEqual(update(true));
    expect(lww(row(T1), nine, localRow(T1, a))).toEqual(OLDER);
  });
});

describe('decide: lww, null timestamps are older than any time', () => {
  it('a timed incoming row beats a local row without a timestamp', () => {
    expect(lww(row(T0), LOW, localRow(null, HIGH))).toEqual(update());
  });

  it('an incoming row without a timestamp loses to a timed local row', () => {
    expect(lww(row(null), HIGH, localRow(T0, LOW))).toEqual(OLDER);
  });

  it('two rows without timestamps fall to the hash tie-break', () => {
    expect(lww(row(null), HIGH, localRow(null, LOW))).toEqual(update(true));
    expect(lww(row(null), LOW, localRow(null, HIGH))).toEqual(OLDER);
    expect(lww(row(null), LOW, localRow(null, LOW))).toEqual(SAME);
  });

  it('an incoming row without a timestamp never resurrects a tombstone', () => {
    expect(lww(row(null), HIGH, localTomb(T0))).toEqual(OLDER);
  });

  it('an incoming delete removes a local row without a timestamp', () => {
    expect(lww(del(T0), null, localRow(null))).toEqual(remove());
  });
});

describe('decide: lww, incoming row against a local tombstone', () => {
  it('a row from before the delete stays deleted (no resurrection)', () => {
    expect(lww(row(T0), HIGH, localTomb(T1))).toEqual(OLDER);
  });

  it('a row at exactly the delete time stays deleted: the delete wins ties', () => {
    expect(lww(row(T1), HIGH, localTomb(T1))).toEqual(OLDER);
  });

  it('a row written after the delete comes back', () => {
    expect(lww(row(T2), LOW, localTomb(T1))).toEqual(insert());
  });
});

describe('decide: lww, incoming delete against a local row', () => {
  it('deletes a local row older than the delete', () => {
    expect(lww(del(T2), null, localRow(T1))).toEqual(remove());
  });

  it('deletes a local row at exactly the delete time (d >= t)', () => {
    expect(lww(del(T1), null, localRow(T1))).toEqual(remove());
  });

  it('keeps a local row written after the delete', () => {
    expect(lww(del(T0), null, localRow(T1))).toEqual(OLDER);
  });

  it('row-versus-delete ties resolve the same way from both sides', () => {
    // Local row, incoming delete: delete. Local tombstone, incoming row: the row stays out.
    expect(lww(del(T1), null, localRow(T1))).toEqual(remove());
    expect(lww(row(T1), MID, localTomb(T1))).toEqual(OLDER);
  });
});

describe('decide: lww, tombstone against tombstone', () => {
  it('keeps the later deletion time', () => {
    expect(lww(del(T2), null, localTomb(T1))).toEqual(TOMBSTONE);
  });

  it('ignores an earlier deletion', () => {
    expect(lww(del(T0), null, localTomb(T1))).toEqual(SAME);
  });

  it('ignores the same deletion delivered again (idempotence)', () => {
    expect(lww(del(T1), null, localTomb(T1))).toEqual(SAME);
  });
});

describe('decide: times compare at the coarser precision', () => {
  const fine = '2025-01-01T10:00:00.7Z';
  const whole = '2025-01-01T10:00:00Z';

  it('.7 s and .0 s are equal at 0 digits: the hash decides', () => {
    expect(lww(row(fine), HIGH, localRow(whole, LOW), 0)).toEqual(update(true));
    expect(lww(row(fine), LOW, localRow(whole, HIGH), 0)).toEqual(OLDER);
  });

  it('.7 s is newer than .0 s at 3 digits', () => {
    expect(lww(row(fine), LOW, localRow(whole, HIGH), 3)).toEqual(update());
    expect(lww(row(whole), HIGH, localRow(fine, LOW), 3)).toEqual(OLDER);
  });

  it('a delete a fraction of a second earlier still wins at 0 digits (equal), not at 3', () => {
    expect(lww(del(whole), null, localRow(fine), 0)).toEqual(remove());
    expect(lww(del(whole), null, localRow(fine), 3)).toEqual(OLDER);
  });

  it('a row a fraction of a second after a delete does not come back at 0 digits, does at 3', () => {
    expect(lww(row(fine), HIGH, localTomb(whole), 0)).toEqual(OLDER);
    expect(lww(row(fine), HIGH, localTomb(whole), 3)).toEqual(insert());
  });

  it('differences below the precision are ignored between tombstones', () => {
    expect(lww(del(fine), null, localTomb(whole), 0)).toEqual(SAME);
    expect(lww(del(fine), null, localTomb(whole), 1)).toEqual(TOMBSTONE);
  });

  it('a one-microsecond difference counts at 6 digits and vanishes at 5', () => {
    const later = '2025-01-01T10:00:00.123456Z';
    const earlier = '2025-01-01T10:00:00.123455Z';
    expect(lww(row(later), LOW, localRow(earlier, HIGH), 6)).toEqual(update());
    expect(lww(row(later), LOW, localRow(earlier, HIGH), 5)).toEqual(OLDER);
  });
});

/**
 * Every strategy in every situation. Rows are [label, incoming, incoming hash, local, expected].
 */
type Case = [string, Change, string | null, LocalState, Decision];

const SITUATIONS = {
  absentRow: [row(T1), LOW, ABSENT],
  absentDelete: [del(T1), null, ABSENT],
  rowNewer: [row(T2), LOW, localRow(T1)],
  rowOlder: [row(T0), LOW, localRow(T1)],
  rowSame: [row(T1), MID, localRow(T1, MID)],
  rowTieHigher: [row(T1), HIGH, localRow(T1, LOW)],
  rowTieLower: [row(T1), LOW, localRow(T1, HIGH)],
  rowAfterTomb: [row(T2), LOW, localTomb(T1)],
  rowAtTomb: [row(T1), LOW, localTomb(T1)],
  rowBeforeTomb: [row(T0), LOW, localTomb(T1)],
  deleteNewer: [del(T2), null, localRow(T1)],
  deleteEqual: [del(T1), null, localRow(T1)],
  deleteOlder: [del(T0), null, localRow(T1)],
  tombLater: [del(T2), null, localTomb(T1)],
  tombEqual: [del(T1), null, localTomb(T1)],
  tombEarlier: [del(T0), null, localTomb(T1)],
} satisfies Record<string, [Change, string | null, LocalState]>;

type Situation = keyof typeof SITUATIONS;

const EXPECTED: Record<ConflictStrategy, Record<Situation, Decision>> = {
  lww: {
    absentRow: insert(),
    absentDelete: TOMBSTONE,
    rowNewer: update(),
    rowOlder: OLDER,
    rowSame: SAME,
    rowTieHigher: update(true),
    rowTieLower: OLDER,
    rowAfterTomb: insert(),
    rowAtTomb: OLDER,
    rowBeforeTomb: OLDER,
    deleteNewer: remove(),
    deleteEqual: remove(),
    deleteOlder: OLDER,
    tombLater: TOMBSTONE,
    tombEqual: SAME,
    tombEarlier: SAME,
  },
  // The source always wins; `overwrite` marks a local version that was newer or equal-time.
  'source-wins': {
    absentRow: insert(),
    absentDelete: TOMBSTONE,
    rowNewer: update(false),
    rowOlder: update(true),
    rowSame: SAME,
    rowTieHigher: update(true),
    rowTieLower: update(true),
    rowAfterTomb: insert(false),
    rowAtTomb: insert(true),
    rowBeforeTomb: insert(true),
    deleteNewer: remove(false),
    // Under LWW a delete at the row's time wins anyway: nothing was overwritten.
    deleteEqual: remove(false),
    deleteOlder: remove(true),
    tombLater: TOMBSTONE,
    tombEqual: SAME,
    tombEarlier: SAME,
  },
  // The target keeps whatever it has; only keys it has never seen are written.
  'target-wins': {
    absentRow: insert(),
    absentDelete: TOMBSTONE,
    rowNewer: OLDER,
    rowOlder: OLDER,
    rowSame: SAME,
    rowTieHigher: OLDER,
    rowTieLower: OLDER,
    rowAfterTomb: OLDER,
    rowAtTomb: OLDER,
    rowBeforeTomb: OLDER,
    deleteNewer: OLDER,
    deleteEqual: OLDER,
    deleteOlder: OLDER,
    tombLater: TOMBSTONE,
    tombEqual: SAME,
    tombEarlier: SAME,
  },
  // What LWW would apply cleanly is applied; every case LWW would settle against the
  // incoming version (or by the tie-break) is recorded instead.
  manual: {
    absentRow: insert(),
    absentDelete: TOMBSTONE,
    rowNewer: update(),
    rowOlder: CONFLICT,
    rowSame: SAME,
    rowTieHigher: CONFLICT,
    rowTieLower: CONFLICT,
    rowAfterTomb: insert(),
    rowAtTomb: CONFLICT,
    rowBeforeTomb: CONFLICT,
    deleteNewer: remove(),
    deleteEqual: remove(),
    deleteOlder: CONFLICT,
    tombLater: TOMBSTONE,
    tombEqual: SAME,
    tombEarlier: SAME,
  },
};

for (const strategy of Object.keys(EXPECTED) as ConflictStrategy[]) {
  describe(`decide: strategy ${strategy}`, () => {
    const cases: Case[] = (Object.keys(SITUATIONS) as Situation[]).map((name) => {
      const [incoming, hash, local] = SITUATIONS[name];
      return [name, incoming, hash, local, EXPECTED[strategy][name]];
    });
    it.each(cases)('%s', (_name, incoming, hash, local, expected) => {
      expect(decide(incoming, hash, local, strategy, 6)).toEqual(expected);
    });
  });
}

describe('decide: strategies at the coarser precision', () => {
  const fine = '2025-01-01T10:00:00.7Z';
  const whole = '2025-01-01T10:00:00Z';

  it('source-wins flags a sub-second-newer local row as overwritten only when the precision sees it', () => {
    expect(decide(row(whole), LOW, localRow(fine, HIGH), 'source-wins', 0)).toEqual(update(true));
    expect(decide(row(whole), LOW, localRow(fine, HIGH), 'source-wins', 3)).toEqual(update(true));
    expect(decide(row(fine), LOW, localRow(whole, HIGH), 'source-wins', 0)).toEqual(update(true));
    expect(decide(row(fine), LOW, localRow(whole, HIGH), 'source-wins', 3)).toEqual(update(false));
  });

  it('manual turns an equal-at-this-precision pair into a conflict', () => {
    expect(decide(row(fine), HIGH, localRow(whole, LOW), 'manual', 0)).toEqual(CONFLICT);
    expect(decide(row(fine), HIGH, localRow(whole, LOW), 'manual', 3)).toEqual(update());
  });
});

/**
 * Convergence of the LWW rules (invariant 1): whatever the order in which two versions of a
 * key meet, both sides end on the same version.
 */
describe('decide: two versions converge whichever side receives which', () => {
  type Version = { kind: 'row'; at: string | null; content: string } | { kind: 'tombstone'; at: string };

  const TIMES = ['2025-01-01T10:00:00Z', '2025-01-01T10:00:00.7Z', '2025-01-01T10:00:00.701Z', T2];
  const hashOf = (v: Version & { kind: 'row' }) =>
    // A stand-in for rowHash: a function of the whole row (time included).
    Buffer.from(`${v.at}|${v.content}`).toString('hex').padEnd(64, '0');

  const version = fc.oneof(
    fc.record({
      kind: fc.constant('row' as const),
      at: fc.constantFrom<string | null>(null, ...TIMES),
      content: fc.constantFrom('x', 'y', 'z'),
    }),
    fc.record({ kind: fc.constant('tombstone' as const), at: fc.constantFrom(...TIMES) }),
  );

  /** The version a target holds after `incoming` meets `local`. */
  function merge(local: Version, incoming: Version, digits: number): Version {
    const state: LocalState =
      local.kind === 'row' ? { kind: 'row', at: local.at, hash: hashOf(local) } : local;
    const change: Change =
      incoming.kind === 'row'
        ? { op: 'upsert', key: [1], at: incoming.at, row: { content: incoming.content } }
        : { op: 'delete', key: [1], at: incoming.at };
    const d = decide(change, incoming.kind === 'row' ? hashOf(incoming) : null, state, 'lww', digits);
    switch (d.action) {
      case 'insert':
      case 'update':
      case 'delete':
      case 'tombstone':
        return incoming;
      case 'skip':
        return local;
      case 'conflict':
        throw new Error('lww never reports a conflict');
    }
  }

  /** Two tombstones are the same data even when their times differ below the precision. */
  const sameData = (a: Version, b: Version) =>
    a.kind === 'tombstone' && b.kind === 'tombstone' ? true : JSON.stringify(a) === JSON.stringify(b);

  it('merge(A, B) and merge(B, A) hold the same data', () => {
    fc.assert(
      fc.property(version, version, fc.constantFrom(0, 1, 3, 6), (a, b, digits) => {
        expect(sameData(merge(a, b, digits), merge(b, a, digits))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('applying the winner again changes nothing (idempotence)', () => {
    fc.assert(
      fc.property(version, version, fc.constantFrom(0, 3, 6), (a, b, digits) => {
        const once = merge(a, b, digits);
        expect(sameData(merge(once, b, digits), once)).toBe(true);
        expect(sameData(merge(once, a, digits), once)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
