/**
 * The contract every store adapter must pass (SQLite and PostgreSQL): run it from the
 * adapter's own test file with a function that opens a fresh, empty store. One section per
 * port the adapters implement (each owned by the part that uses it), after the transactions
 * that span them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { Reading } from '../domain/reader_score.ts';
import type { TerritoryRow } from '../domain/territory.ts';
import { decodeEntry, type JournalEntry } from '../journal/entries.ts';
import { MerkleTree } from '../journal/merkle.ts';
import type { OperatorRow, PackageRow, SecurityAlertRow, Store } from './store.ts';

/** An operator row for the port tests: a capturista with national scope unless `fields` says otherwise. */
const operatorRow = (fields: Partial<OperatorRow> & { readonly id: string }): OperatorRow => ({
  username: `user-${fields.id}`,
  name: fields.id,
  role: 'capturista',
  scope: 'nacional',
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB',
  totpSealed: 'v1.a.b.c',
  totpLastStep: null,
  failedAttempts: 0,
  lockedUntil: null,
  expiresAt: null,
  certifiedFor: 'PEF2024',
  createdAt: 1,
  disabledAt: null,
  ...fields,
});

/**
 * An entry of no real type, for tests of the store alone: the store keeps whatever entry it is
 * given and never reads its type (entry types are the journal's business, entry_types.ts).
 */
export function opaqueEntry(
  type: string,
  at: number,
  fields: Readonly<Record<string, unknown>> = {},
): JournalEntry {
  return { type, at, ...fields } as unknown as JournalEntry;
}

export interface OpenedStore {
  readonly store: Store;
  /** Closes and opens the same database again (for durability checks). */
  reopen(): Promise<Store>;
}

function record(recordId: string, status: ActaRecord['status'] = 'received'): ActaRecord {
  return {
    recordId,
    contest: 'PRES',
    actaKey: null,
    casillaKey: null,
    tipoActa: null,
    identification: {
      claimedKey: recordId,
      entidad: null,
      distrito: null,
      seccion: null,
      tipo: null,
      id: null,
      extension: null,
      tipoActa: null,
    },
    status,
    round: 0,
    captures: [],
    submission: null,
    additionalImages: [],
    published: null,
    previousVersions: [],
    cotejada: 0,
    sinActaReason: null,
  };
}

export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`store contract: ${name}`, () => {
    describe('transactions, across the ports: one fact, one commit', () => {
      test('state and its journal entry commit together', async () => {
        const { store } = await open();
        const index = await store.transaction(async (tx) => {
          await tx.putActa(record('A'), 10);
          return tx.appendJournal(opaqueEntry('TEST', 1, { recordId: 'A' }));
        });
        assert.equal(index, 0);
        assert.equal((await store.getActa('A'))?.recordId, 'A');
        assert.equal((await store.journalHead()).size, 1);
        await store.close();
      });

      test('a failure inside a transaction leaves neither the state nor the entry', async () => {
        const { store } = await open();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.putActa(record('B'), 10);
            await tx.appendJournal(opaqueEntry('TEST', 1));
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await store.getActa('B'), null);
        const head = await store.journalHead();
        assert.equal(head.size, 0);
        // The next append reuses index 0: the failed one left no hole.
        assert.equal(await store.transaction((tx) => tx.appendJournal(opaqueEntry('TEST', 2))), 0);
        await store.close();
      });

      test('transactions do not interleave even when they await', async () => {
        const { store } = await open();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction(async (tx) => {
              const before = await tx.getMeta('counter');
              await new Promise((resolve) => setTimeout(resolve, i % 3));
              await tx.setMeta('counter', String(Number(before ?? '0') + 1));
              return tx.appendJournal(opaqueEntry('INC', i));
            }),
          ),
        );
        assert.equal(await store.getMeta('counter'), '20');
        assert.deepEqual(
          [...results].sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i),
        );
        await store.close();
      });

      test('inside a transaction, reads see the rows it added; a package added twice fails the transaction', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.putActa(record('W'), 5);
          assert.equal((await tx.getActa('W'))?.recordId, 'W');
          await tx.putActa({ ...record('W'), round: 1 }, 6);
          assert.equal((await tx.getActa('W'))?.round, 1, 'the latest write wins');
          await tx.addImage({
            sha256: 'f'.repeat(64),
            recordId: 'W',
            receivedAt: 1,
            role: 'record',
            source: 's',
          });
          assert.deepEqual(
            (await tx.imagesBySha('f'.repeat(64))).map((i) => i.recordId),
            ['W'],
          );
          await tx.putDevice({
            id: 'D',
            publicKey: Buffer.alloc(32, 9).toString('base64'),
            origin: 'CATD',
            boundTo: 'C',
            label: '',
            enrolledAt: 1,
            revokedAt: null,
          });
          const row = {
            deviceId: 'D',
            sequence: 0,
            packageSha256: '1'.repeat(64),
            imageSha256: 'f'.repeat(64),
            recordId: 'W',
            acopioAt: 6,
            outcome: 'accepted' as const,
            receipt: 'r',
          };
          await tx.addPackage(row);
          assert.deepEqual(await tx.getPackage('D', 0), row);
        });
        assert.equal((await store.getActa('W'))?.round, 1);
        assert.equal((await store.images('W')).length, 1);
        await assert.rejects(
          store.transaction(async (tx) => {
            const row = {
              deviceId: 'D',
              sequence: 1,
              packageSha256: '2'.repeat(64),
              imageSha256: 'f'.repeat(64),
              recordId: 'W',
              acopioAt: 7,
              outcome: 'accepted' as const,
              receipt: 'r',
            };
            await tx.appendJournal(opaqueEntry('P', 7));
            await tx.addPackage(row);
            await tx.addPackage({ ...row, packageSha256: '3'.repeat(64) });
          }),
        );
        assert.equal(await store.packageCount('D'), 1);
        assert.equal((await store.journalHead()).size, 0, 'nothing of the failed transaction remains');
        await store.close();
      });
    });

    describe('journal port (src/journal/journal_port.ts)', () => {
      test('the stored frontier equals the tree over the stored leaves, after reopening too', async () => {
        const opened = await open();
        for (let i = 0; i < 37; i++)
          await opened.store.transaction((tx) => tx.appendJournal(opaqueEntry('N', i, { n: i })));
        const head = await opened.store.journalHead();
        const leaves = await opened.store.journalLeafHashes(0, head.size);
        assert.deepEqual(new MerkleTree(leaves).root(), head.rootHash);
        const entries = await opened.store.journalEntries(0, head.size);
        assert.ok(entries.every((e) => decodeEntry(e).ok));
        const again = await opened.reopen();
        assert.deepEqual(await again.journalHead(), head);
        await again.close();
      });

      test('checkpoints and cuts are kept', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.addCheckpoint({ size: 0, rootHash: Buffer.alloc(32), note: 'n', signedAt: 1 });
          await tx.addCut({
            sequence: 1,
            id: '20240602_2000',
            cutTime: 1,
            journalSize: 0,
            manifestSha256: 'b'.repeat(64),
            final: false,
          });
        });
        assert.equal((await store.checkpoints()).length, 1);
        assert.equal((await store.latestCheckpoint())?.size, (await store.checkpoints()).at(-1)?.size);
        assert.equal((await store.cuts())[0]?.id, '20240602_2000');
        assert.equal((await store.checkpointOfSize(0))?.note, 'n');
        assert.equal(await store.checkpointOfSize(1), null);
        await store.close();
      });

      test("witnesses' cosignatures are kept once per witness and checkpoint", async () => {
        const { store } = await open();
        const row = (witness: string, receivedAt: number, line = `\u2014 ${witness} AAAA`) => ({
          size: 7,
          witness,
          keyId: '0a0b0c0d',
          line,
          cosignedAt: 1_700_000_000,
          receivedAt,
        });
        await store.transaction(async (tx) => {
          await tx.addCosignature(row('w1', 10));
          await tx.addCosignature(row('w2', 11));
        });
        // The same witness again (a retry, or a second line for the same checkpoint) is ignored.
        await store.transaction((tx) => tx.addCosignature(row('w1', 12, 'another line')));
        const kept = await store.cosignatures(7);
        assert.deepEqual(
          kept.map((c) => [c.witness, c.line, c.receivedAt]),
          [
            ['w1', '\u2014 w1 AAAA', 10],
            ['w2', '\u2014 w2 AAAA', 11],
          ],
        );
        assert.equal(kept[0]?.cosignedAt, 1_700_000_000);
        assert.deepEqual(await store.cosignatures(8), []);
        await store.close();
      });
    });

    describe('acta records port (src/capture/records_port.ts)', () => {
      test('queues and snapshots', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.putActa(record('late'), 30);
          await tx.putActa(record('early'), 10);
          await tx.putActa(record('done', 'verified'), 5);
          await tx.putActa(record('bad', 'mismatch'), 7);
          await tx.appendJournal(opaqueEntry('X', 1));
        });
        await store.transaction(async (tx) => {
          assert.deepEqual(
            (await tx.captureQueue({ limit: 10 })).map((t) => t.recordId),
            ['early', 'late'],
          );
        });
        assert.deepEqual(
          (await store.mismatchQueue(10)).map((r) => r.recordId),
          ['bad'],
        );
        const snapshot = await store.snapshot();
        assert.equal(snapshot.records.length, 4);
        assert.equal(snapshot.head.size, 1);
        await store.close();
      });

      test('images are kept: of record, and in conflict', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.addImage({
            sha256: 'a'.repeat(64),
            recordId: 'A',
            receivedAt: 1,
            role: 'record',
            source: 's',
          });
          await tx.addImage({
            sha256: 'a'.repeat(64),
            recordId: 'B',
            receivedAt: 2,
            role: 'conflict',
            source: 's',
          });
        });
        assert.equal((await store.images('B'))[0]?.role, 'conflict');
        await store.close();
      });

      test('capture claims: who holds which acta until when', async () => {
        const opened = await open();
        await opened.store.transaction(async (tx) => {
          await tx.putCaptureClaim('A', 'ana', 100);
          await tx.putCaptureClaim('A', 'beto', 50);
          await tx.putCaptureClaim('B', 'ana', 100);
          await tx.putCaptureClaim('A', 'beto', 150);
        });
        const again = await opened.reopen();
        await again.transaction(async (tx) => {
          assert.deepEqual(Object.fromEntries(await tx.captureClaims(['A', 'B', 'C'], 99)), {
            A: ['ana', 'beto'],
            B: ['ana'],
          });
          assert.deepEqual(
            Object.fromEntries(await tx.captureClaims(['A'], 100)),
            { A: ['beto'] },
            'expired at 100',
          );
          assert.deepEqual(await tx.claimsOf('ana', 99), ['A', 'B']);
          assert.deepEqual(await tx.claimsOf('beto', 150), []);
          await tx.deleteCaptureClaim('A', 'beto');
          assert.deepEqual(Object.fromEntries(await tx.captureClaims(['A'], 0)), { A: ['ana'] });
          assert.equal((await tx.captureClaims([], 0)).size, 0);
        });
        await again.close();
      });

      test('capture queue: held actas leave it until released, paging, one contest', async () => {
        const opened = await open();
        await opened.store.transaction(async (tx) => {
          for (let i = 0; i < 5; i++) await tx.putActa(record(`r${i}`), 100 + i);
          await tx.putActa({ ...record('other'), contest: 'SEN' }, 50);
          await tx.setCaptureHold('r1', 1_000);
          await tx.setCaptureHold('r3', 2_000);
        });
        const again = await opened.reopen();
        await again.transaction(async (tx) => {
          const ids = async (options: Parameters<typeof tx.captureQueue>[0]) =>
            (await tx.captureQueue(options)).map((t) => t.recordId);
          assert.deepEqual(await ids({ limit: 10 }), ['other', 'r0', 'r2', 'r4']);
          assert.deepEqual(await ids({ limit: 10, contest: 'SEN' }), ['other']);
          const first = await tx.captureQueue({ limit: 2 });
          assert.deepEqual(
            first.map((t) => [t.recordId, t.acopioAt]),
            [
              ['other', 50],
              ['r0', 100],
            ],
          );
          assert.deepEqual(await ids({ limit: 10, after: { acopioAt: 100, recordId: 'r0' } }), ['r2', 'r4']);
          await tx.releaseCaptureHolds(999);
          assert.deepEqual(await ids({ limit: 10 }), ['other', 'r0', 'r2', 'r4'], 'not yet ended');
          await tx.releaseCaptureHolds(1_000);
          assert.deepEqual(await ids({ limit: 10 }), ['other', 'r0', 'r1', 'r2', 'r4']);
          await tx.setCaptureHold('r3', 0);
          assert.deepEqual(await ids({ limit: 3, after: { acopioAt: 101, recordId: 'r1' } }), [
            'r2',
            'r3',
            'r4',
          ]);
          // Putting an acta again (a capture) leaves its hold as it was.
          await tx.setCaptureHold('r4', 5_000);
          await tx.putActa({ ...record('r4'), status: 'captured_once' }, 104);
        });
        await again.transaction(async (tx) => {
          assert.deepEqual(
            (await tx.captureQueue({ limit: 10 })).map((t) => t.recordId),
            ['other', 'r0', 'r1', 'r2', 'r3'],
          );
        });
        await again.close();
      });

      test('whether the next acta may be there: a claim, the queue, an ended hold', async () => {
        const { store } = await open();
        const may = (operatorId: string, now: number, contest?: string) =>
          store.mayHaveCaptureWork({ operatorId, now, ...(contest !== undefined ? { contest } : {}) });
        assert.equal(await may('ana', 0), false, 'an empty store');
        await store.transaction(async (tx) => {
          await tx.putActa(record('a'), 10);
          await tx.setCaptureHold('a', 1_000);
          await tx.putActa(record('v', 'verified'), 11);
        });
        assert.equal(await may('ana', 999), false, 'the only acta is held');
        assert.equal(await may('ana', 1_000), true, 'its hold has ended');
        await store.transaction((tx) => tx.putCaptureClaim('a', 'ana', 500));
        assert.equal(await may('ana', 499), true, 'ana holds a claim');
        assert.equal(await may('beto', 499), false);
        await store.transaction((tx) => tx.setCaptureHold('a', 0));
        assert.equal(await may('beto', 600), true, 'back in the queue');
        assert.equal(await may('beto', 600, 'SEN'), false, 'not for another contest');
        await store.close();
      });
    });

    describe('devices port (src/intake/devices_port.ts)', () => {
      test('devices: enrol, revoke; packages: one per (device, sequence), kept across a reopen', async () => {
        const opened = await open();
        const store = opened.store;
        const device = {
          id: 'CATD-01-001-S1',
          publicKey: Buffer.alloc(32, 7).toString('base64'),
          origin: 'CATD' as const,
          boundTo: 'CATD-01-001',
          label: 'escáner 1',
          enrolledAt: 5,
          revokedAt: null,
        };
        await store.transaction((tx) => tx.putDevice(device));
        assert.deepEqual(await store.getDevice(device.id), device);
        const receipt = 'receipt text\n\n— sig\n';
        const row = {
          deviceId: device.id,
          sequence: 0,
          packageSha256: 'c'.repeat(64),
          imageSha256: 'd'.repeat(64),
          recordId: 'PRES:0100',
          acopioAt: 9,
          outcome: 'accepted' as const,
          receipt,
        };
        await store.transaction((tx) => tx.addPackage(row));
        await assert.rejects(
          store.transaction((tx) => tx.addPackage({ ...row, packageSha256: 'e'.repeat(64) })),
        );
        assert.deepEqual(await store.transaction((tx) => tx.getPackage(device.id, 0)), row);
        await store.transaction((tx) =>
          tx.addPackage({
            ...row,
            sequence: 1,
            outcome: 'conflict',
            receipt: null,
            packageSha256: 'f'.repeat(64),
          }),
        );
        assert.equal((await store.transaction((tx) => tx.getPackage(device.id, 1)))?.outcome, 'conflict');
        await store.transaction((tx) => tx.putDevice({ ...device, revokedAt: 20 }));
        const reopened = await opened.reopen();
        assert.equal((await reopened.getDevice(device.id))?.revokedAt, 20);
        assert.equal((await reopened.devices()).length, 1);
        assert.equal(await reopened.packageCount(device.id), 2);
        assert.equal(await reopened.packageCount('nobody'), 0);
        assert.equal((await reopened.transaction((tx) => tx.getPackage(device.id, 0)))?.receipt, receipt);
        await reopened.close();
      });

      test('activity for the dashboard: actas by status, packages by CATD in all and since a time', async () => {
        const opened = await open();
        const store = opened.store;
        const device = (id: string, boundTo: string) => ({
          id,
          publicKey: Buffer.alloc(32, id.charCodeAt(id.length - 1)).toString('base64'),
          origin: 'CATD' as const,
          boundTo,
          label: '',
          enrolledAt: 1,
          revokedAt: null,
        });
        const pkg = (deviceId: string, sequence: number, acopioAt: number, accepted: boolean): PackageRow => {
          const common = {
            deviceId,
            sequence,
            packageSha256: String(sequence % 10).repeat(64),
            imageSha256: 'a'.repeat(64),
            recordId: `R${sequence}`,
            acopioAt,
          };
          return accepted
            ? { ...common, outcome: 'accepted', receipt: 'r' }
            : { ...common, outcome: 'conflict', receipt: null };
        };
        assert.deepEqual(await store.activity(0), {
          actas: { received: 0, captured_once: 0, mismatch: 0, verified: 0, sin_acta: 0 },
          catds: [],
        });
        await store.transaction(async (tx) => {
          await tx.putDevice(device('S1', 'CATD-02'));
          await tx.putDevice(device('S2', 'CATD-02'));
          await tx.putDevice(device('S33', 'CATD-01'));
          await tx.putActa(record('A'), 10);
          await tx.putActa(record('B', 'verified'), 10);
          await tx.putActa(record('C', 'verified'), 10);
          await tx.putActa(record('D', 'mismatch'), 10);
          await tx.addPackage(pkg('S1', 0, 100, true));
          await tx.addPackage(pkg('S1', 1, 200, true));
          await tx.addPackage(pkg('S2', 0, 300, false));
          await tx.addPackage(pkg('S33', 0, 50, true));
        });
        assert.deepEqual(await (await opened.reopen()).activity(150), {
          actas: { received: 1, captured_once: 0, mismatch: 1, verified: 2, sin_acta: 0 },
          catds: [
            { catd: 'CATD-01', accepted: 1, conflicts: 0, acceptedSince: 0, conflictsSince: 0 },
            { catd: 'CATD-02', accepted: 2, conflicts: 1, acceptedSince: 1, conflictsSince: 1 },
          ],
        });
        assert.deepEqual(await (await opened.reopen()).actaCounts(), {
          received: 1,
          captured_once: 0,
          mismatch: 1,
          verified: 2,
          sin_acta: 0,
        });
      });

      test('territory: replaced whole, read by unit, kept across a reopen, a CAE never given a distrito', async () => {
        const opened = await open();
        assert.deepEqual(
          await opened.store.territoryOf('CATD-01'),
          { declared: false, rows: [] },
          'nothing yet',
        );
        const rows: TerritoryRow[] = [
          { unit: 'CATD-01', unitKind: 'CATD', areaKind: 'distrito', area: '01-001' },
          { unit: 'CATD-01', unitKind: 'CATD', areaKind: 'casilla', area: '010338B0100' },
          { unit: 'CAE-7', unitKind: 'CAE', areaKind: 'casilla', area: '010339B0100' },
        ];
        await opened.store.transaction((tx) => tx.replaceTerritory(rows));
        const again = await opened.reopen();
        assert.deepEqual(await again.territoryOf('CATD-01'), { declared: true, rows: [rows[0], rows[1]] });
        assert.deepEqual(await again.territoryOf('CAE-7'), { declared: true, rows: [rows[2]] });
        // Intake asks only for the acta's distrito and casilla: the unit's other rows are not read.
        assert.deepEqual(await again.territoryOf('CATD-01', ['01-001', '010339B0100']), {
          declared: true,
          rows: [rows[0]],
        });
        assert.deepEqual(await again.territoryOf('CATD-01', ['01-002', '010339B0100']), {
          declared: true,
          rows: [],
        });
        assert.deepEqual(await again.territoryOf('CATD-01', []), { declared: true, rows: [] });
        assert.deepEqual(await again.territoryOf('CATD-09', ['01-001']), { declared: false, rows: [] });
        assert.deepEqual(await again.territory(), [rows[2], rows[0], rows[1]]);
        await again.transaction((tx) => tx.replaceTerritory([rows[2]!]));
        assert.deepEqual(
          await again.territoryOf('CATD-01'),
          { declared: false, rows: [] },
          'the new file is the whole territory',
        );
        await assert.rejects(
          again.transaction((tx) =>
            tx.replaceTerritory([{ unit: 'CAE-8', unitKind: 'CAE', areaKind: 'distrito', area: '01-002' }]),
          ),
        );
        assert.deepEqual(await again.territory(), [rows[2]], 'a refused replacement changes nothing');
        await again.close();
      });
    });

    describe('operators port (src/auth/operators_port.ts)', () => {
      test('operators and sessions: scope queries, revocation of every live session', async () => {
        const opened = await open();
        const store = opened.store;
        const operator = (id: string, scope: string) => operatorRow({ id, scope });
        await store.transaction(async (tx) => {
          await tx.putOperator(operator('a', 'catd:09-001'));
          await tx.putOperator(operator('b', 'catd:09-002'));
          await tx.putOperator(operator('c', 'entidad:09'));
          await tx.putOperator(operator('d', 'nacional'));
          for (const [i, id] of ['a', 'a', 'b'].entries())
            await tx.putSession({
              idHash: String(i).repeat(64),
              operatorId: id,
              createdAt: 1,
              lastSeenAt: 1,
              csrfHash: 'x',
              webauthnAt: i === 2 ? 7 : null,
              revokedAt: null,
            });
        });
        const inScope = await store.transaction((tx) => tx.operatorsInScope('catd'));
        assert.deepEqual(
          inScope.map((o) => o.id),
          ['a', 'b'],
        );
        assert.deepEqual(
          (await store.transaction((tx) => tx.operatorsInScope('catd:09-001'))).map((o) => o.id),
          ['a'],
        );
        assert.equal((await store.transaction((tx) => tx.operatorsInScope(null))).length, 4);
        assert.equal(await store.transaction((tx) => tx.revokeSessions(['a'], 50)), 2);
        assert.equal(await store.transaction((tx) => tx.revokeSessions(['a'], 60)), 0);
        assert.equal((await store.getSession('0'.repeat(64)))?.revokedAt, 50);
        assert.equal((await store.getSession('2'.repeat(64)))?.revokedAt, null);
        assert.equal((await store.getSession('2'.repeat(64)))?.webauthnAt, 7);
        const reopened = await opened.reopen();
        assert.equal((await reopened.getOperator('c'))?.scope, 'entidad:09');
        assert.equal((await reopened.transaction((tx) => tx.getOperatorByUsername('user-d')))?.id, 'd');
        assert.equal((await reopened.operators()).length, 4);
        await reopened.close();
      });
    });

    describe('access port (src/security/access_port.ts)', () => {
      test("latest uses: each operator's latest session activity, each device's latest package", async () => {
        const opened = await open();
        const store = opened.store;
        const operator = (id: string) => operatorRow({ id });
        const device = (id: string, key: number) => ({
          id,
          publicKey: Buffer.alloc(32, key).toString('base64'),
          origin: 'CATD' as const,
          boundTo: 'CATD-1',
          label: '',
          enrolledAt: 1,
          revokedAt: null,
        });
        const pkg = (deviceId: string, sequence: number, acopioAt: number) => ({
          deviceId,
          sequence,
          packageSha256: String(sequence % 10).repeat(64),
          imageSha256: 'd'.repeat(64),
          recordId: `PRES:${deviceId}:${sequence}`,
          acopioAt,
          outcome: 'accepted' as const,
          receipt: 'r',
        });
        assert.deepEqual(await store.operatorsLastUse(), []);
        assert.deepEqual(await store.devicesLastPackage(), []);
        await store.transaction(async (tx) => {
          for (const id of ['a', 'b', 'c']) await tx.putOperator(operator(id));
          // Two sessions of a, the older one seen last; one of b, revoked (still a use); none of c.
          for (const [i, [id, lastSeenAt, revokedAt]] of (
            [
              ['a', 500, null],
              ['a', 300, null],
              ['b', 40, 41],
            ] as const
          ).entries())
            await tx.putSession({
              idHash: String(i).repeat(64),
              operatorId: id,
              createdAt: 10,
              lastSeenAt,
              csrfHash: 'x',
              webauthnAt: null,
              revokedAt,
            });
          await tx.putDevice(device('S1', 1));
          await tx.putDevice(device('S2', 2));
          await tx.putDevice(device('S3', 3));
          // The latest package is the highest sequence, whatever the times a device stated.
          await tx.addPackage(pkg('S1', 0, 70));
          await tx.addPackage(pkg('S1', 1, 60));
          await tx.addPackage(pkg('S2', 0, 90));
        });
        assert.deepEqual(await store.operatorsLastUse(), [
          { id: 'a', at: 500 },
          { id: 'b', at: 40 },
        ]);
        assert.deepEqual(await store.devicesLastPackage(), [
          { id: 'S1', at: 60 },
          { id: 'S2', at: 90 },
        ]);
        await store.close();
      });
    });

    describe('operators port: password fingerprints and a required change', () => {
      test('the breach fingerprint and a required change are kept, and a change cleared stays cleared', async () => {
        const opened = await open();
        const base = operatorRow({ id: 'pw' });
        const marked = {
          ...base,
          breachPrefix: '5BAA6',
          breachMac: 'x'.repeat(43),
          mustChangePassword: 'breached' as const,
          passwordChangedAt: 5,
        };
        await opened.store.transaction((tx) => tx.putOperator(marked));
        const reopened = await opened.reopen();
        assert.deepEqual(await reopened.getOperator('pw'), marked);
        // An account from before fingerprints reads without them (no field, not null).
        await reopened.transaction(async (tx) => {
          await tx.putOperator({ ...base, id: 'old', username: 'user-old' });
          const { mustChangePassword: _, ...cleared } = marked;
          await tx.putOperator({ ...cleared, passwordChangedAt: 9 });
        });
        const old = await reopened.getOperator('old');
        assert.equal(old !== null && 'breachPrefix' in old, false);
        const changed = await reopened.transaction((tx) => tx.getOperatorByUsername('user-pw'));
        assert.equal(changed?.mustChangePassword, undefined);
        assert.equal(changed?.passwordChangedAt, 9);
        assert.equal(changed?.breachPrefix, '5BAA6');
        await reopened.close();
      });
    });

    describe('decoys port (src/security/decoys_port.ts)', () => {
      test('decoys, canaries and exports: kept with their journal entry, listed in order, across a reopen; ids unique', async () => {
        const opened = await open();
        const decoy = (id: string, createdAt: number, exportId: string | null) => ({
          id,
          kind: exportId === null ? ('operator' as const) : ('record' as const),
          label: `planted ${id}`,
          subject: exportId === null ? `op-${id}` : null,
          fingerprints: [`${id}-fp1`, `${id}-fp2`],
          exportId,
          createdAt,
          by: 'cli',
        });
        const exported = {
          id: 'exp-1',
          kind: 'operators' as const,
          format: 'csv' as const,
          recipient: 'Auditoría externa',
          by: 'cli',
          at: 20,
          rows: 12,
          canaries: 2,
        };
        await opened.store.transaction(async (tx) => {
          await tx.putDecoy(decoy('d2', 10, null));
          await tx.putExport(exported);
          await tx.putDecoy(decoy('c1', 20, 'exp-1'));
          await tx.putDecoy(decoy('c2', 20, 'exp-1'));
          await tx.appendJournal(opaqueEntry('TEST', 20));
        });
        await opened.store.transaction((tx) => tx.putDecoy(decoy('d1', 5, null)));
        await assert.rejects(
          opened.store.transaction(async (tx) => {
            await tx.putDecoy(decoy('d3', 30, null));
            await tx.putDecoy(decoy('d1', 31, null));
          }),
          'a decoy id is never reused',
        );
        const again = await opened.reopen();
        assert.deepEqual(
          (await again.decoys()).map((d) => d.id),
          ['d1', 'd2', 'c1', 'c2'],
          'by creation time, the refused transaction left nothing',
        );
        assert.deepEqual((await again.decoys())[2], decoy('c1', 20, 'exp-1'));
        assert.deepEqual(await again.exports(), [exported]);
        assert.deepEqual(await again.sessionIdHashes(), []);
        await again.transaction(async (tx) => {
          await tx.putOperator(operatorRow({ id: 'o', passwordHash: 'x', totpSealed: null }));
          for (const hash of ['b'.repeat(64), 'a'.repeat(64)])
            await tx.putSession({
              idHash: hash,
              operatorId: 'o',
              createdAt: 1,
              lastSeenAt: 1,
              csrfHash: 'x',
              webauthnAt: null,
              revokedAt: null,
            });
        });
        assert.deepEqual(await again.sessionIdHashes(), ['a'.repeat(64), 'b'.repeat(64)]);
        await again.close();
      });
    });

    describe('lease port (src/publish/lease_port.ts)', () => {
      test('leases: kept by their holder, taken by another only once expired, across a reopen', async () => {
        const opened = await open();
        await opened.store.transaction((tx) =>
          tx.putLease({ name: 'cut-builder', holder: 'node-a', expiresAt: 100 }),
        );
        assert.equal(await opened.store.transaction((tx) => tx.getLease('nobody')), null);
        const again = await opened.reopen();
        assert.deepEqual(await again.transaction((tx) => tx.getLease('cut-builder')), {
          name: 'cut-builder',
          holder: 'node-a',
          expiresAt: 100,
        });
        await again.transaction((tx) =>
          tx.putLease({ name: 'cut-builder', holder: 'node-b', expiresAt: 200 }),
        );
        assert.equal((await again.transaction((tx) => tx.getLease('cut-builder')))?.holder, 'node-b');
        await again.close();
      });
    });

    describe('alerts port (src/security/alerts_port.ts)', () => {
      const alert = (alertId: string, raisedAt: number): SecurityAlertRow => ({
        alertId,
        detection: 'brute-force',
        severity: 'high',
        subject: { operatorId: 'a' },
        firstAt: raisedAt - 10,
        lastAt: raisedAt - 1,
        evidence: { failures: 10 },
        responses: ['step-up'],
        raisedAt,
      });

      test('alerts: each kept once, newest first, across a reopen', async () => {
        const opened = await open();
        const store = opened.store;
        assert.deepEqual(await store.securityAlerts(10), []);
        assert.equal(await store.transaction((tx) => tx.insertSecurityAlert(alert('x/1', 100))), true);
        assert.equal(await store.transaction((tx) => tx.insertSecurityAlert(alert('x/2', 300))), true);
        assert.equal(await store.transaction((tx) => tx.insertSecurityAlert(alert('x/1', 200))), false);
        assert.deepEqual(await store.securityAlerts(10), [alert('x/2', 300), alert('x/1', 100)]);
        assert.deepEqual(await store.securityAlerts(1), [alert('x/2', 300)]);
        // An insert refused by a rolled-back transaction leaves nothing behind.
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.insertSecurityAlert(alert('x/3', 400));
            throw new Error('rolled back');
          }),
        );
        const again = await opened.reopen();
        assert.deepEqual(
          (await again.securityAlerts(10)).map((a) => a.alertId),
          ['x/2', 'x/1'],
        );
        await again.close();
      });

      test('address blocks: the longest kept, expired ones not read', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.blockAddress({ address: '10.0.0.1', until: 500, alertId: 'a' });
          await tx.blockAddress({ address: '10.0.0.1', until: 400, alertId: 'b' });
          await tx.blockAddress({ address: '10.0.0.2', until: 200, alertId: 'c' });
        });
        assert.deepEqual(await store.addressBlocks(100), [
          { address: '10.0.0.1', until: 500, alertId: 'a' },
          { address: '10.0.0.2', until: 200, alertId: 'c' },
        ]);
        assert.deepEqual(await store.addressBlocks(200), [{ address: '10.0.0.1', until: 500, alertId: 'a' }]);
        await store.transaction((tx) => tx.blockAddress({ address: '10.0.0.1', until: 900, alertId: 'd' }));
        assert.deepEqual(await store.addressBlocks(600), [{ address: '10.0.0.1', until: 900, alertId: 'd' }]);
        await store.close();
      });

      test('step-up: live sessions that proved a security key must prove it again', async () => {
        const { store } = await open();
        await store.transaction(async (tx) => {
          await tx.putOperator(
            operatorRow({ id: 'a', name: 'A', role: 'administrador', passwordHash: 'x', totpSealed: null }),
          );
          for (const [i, session] of [
            { webauthnAt: 5, revokedAt: null },
            { webauthnAt: 6, revokedAt: 9 },
            { webauthnAt: null, revokedAt: null },
          ].entries())
            await tx.putSession({
              idHash: String(i).repeat(64),
              operatorId: 'a',
              createdAt: 1,
              lastSeenAt: 1,
              csrfHash: 'x',
              ...session,
            });
        });
        assert.equal(await store.transaction((tx) => tx.requireStepUp('a')), 1);
        assert.equal((await store.getSession('0'.repeat(64)))?.webauthnAt, null);
        assert.equal((await store.getSession('1'.repeat(64)))?.webauthnAt, 6);
        assert.equal(await store.transaction((tx) => tx.requireStepUp('nobody')), 0);
        await store.close();
      });

      test("the monitor's state: null at first, then what was put", async () => {
        const opened = await open();
        assert.equal(await opened.store.transaction((tx) => tx.getSecurityMonitor()), null);
        await opened.store.transaction((tx) => tx.putSecurityMonitor('{"position":3}'));
        await opened.store.transaction((tx) => tx.putSecurityMonitor('{"position":7}'));
        const again = await opened.reopen();
        assert.equal(await again.transaction((tx) => tx.getSecurityMonitor()), '{"position":7}');
        await again.close();
      });
    });

    describe('readings port (src/reading/readings_port.ts)', () => {
      const sha = (c: string) => c.repeat(64);
      const reading = (
        recordId: string,
        image: string,
        model: string,
        readAt: number,
        value = 7,
      ): Reading => ({
        recordId,
        imageSha256: image,
        modelSha256: model,
        boxes: [{ key: 'boletasSobrantes', value, confidence: 0.5 }],
        failure: null,
        readAt,
      });

      test('readings: one per (record, image, model), the first kept, in read order, across a reopen', async () => {
        const opened = await open();
        const { store } = opened;
        await store.putReading(reading('B', sha('b'), 'm1', 20));
        await store.putReading(reading('A', sha('a'), 'm1', 10));
        // A redone reading (after a crash) leaves the first as it was.
        await store.putReading(reading('A', sha('a'), 'm1', 30, 8));
        await store.putReading(reading('A', sha('a'), 'm2', 40, 9));
        await store.putReading({
          ...reading('C', sha('c'), 'm1', 50),
          boxes: [],
          failure: 'marks_not_found',
        });
        const expected = [
          reading('A', sha('a'), 'm1', 10),
          reading('B', sha('b'), 'm1', 20),
          { ...reading('C', sha('c'), 'm1', 50), boxes: [], failure: 'marks_not_found' },
        ];
        assert.deepEqual(await store.readings('m1'), expected);
        assert.deepEqual(await store.readings('m2'), [reading('A', sha('a'), 'm2', 40, 9)]);
        assert.deepEqual(await store.readings('m3'), []);
        const again = await opened.reopen();
        assert.deepEqual(await again.readings('m1'), expected);
        await again.close();
      });

      test('unread images: images of record no reading by this model names, oldest first; never the others', async () => {
        const opened = await open();
        const { store } = opened;
        await store.transaction(async (tx) => {
          await tx.addImage({
            sha256: sha('1'),
            recordId: 'R1',
            receivedAt: 10,
            role: 'record',
            source: 'test',
          });
          await tx.addImage({
            sha256: sha('2'),
            recordId: 'R2',
            receivedAt: 5,
            role: 'record',
            source: 'test',
          });
          await tx.addImage({
            sha256: sha('3'),
            recordId: 'R1',
            receivedAt: 20,
            role: 'additional',
            source: 'test',
          });
          await tx.addImage({
            sha256: sha('4'),
            recordId: 'R4',
            receivedAt: 30,
            role: 'conflict',
            source: 'test',
          });
          await tx.addImage({
            sha256: sha('5'),
            recordId: 'R5',
            receivedAt: 40,
            role: 'record',
            source: 'test',
          });
        });
        assert.deepEqual(await store.unreadImages('m1', 10), [
          { recordId: 'R2', imageSha256: sha('2') },
          { recordId: 'R1', imageSha256: sha('1') },
          { recordId: 'R5', imageSha256: sha('5') },
        ]);
        assert.deepEqual(await store.unreadImages('m1', 1), [{ recordId: 'R2', imageSha256: sha('2') }]);
        await store.putReading(reading('R2', sha('2'), 'm1', 50));
        await store.putReading({ ...reading('R5', sha('5'), 'm1', 51), boxes: [], failure: 'decode_error' });
        // A reading by another model, or of another image, does not count.
        await store.putReading(reading('R1', sha('1'), 'm0', 52));
        await store.putReading(reading('R1', sha('3'), 'm1', 53));
        assert.deepEqual(await store.unreadImages('m1', 10), [{ recordId: 'R1', imageSha256: sha('1') }]);
        assert.equal((await store.unreadImages('m2', 10)).length, 3);
        await store.close();
      });
    });
  });
}
