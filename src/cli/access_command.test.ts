/**
 * `openprep access review` as a person runs it, on a real data folder: the text and JSON
 * reports with their hash, the signature journaled when nothing changed, refused with what
 * changed when something did.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openCenter } from '../center/node.ts';
import { decodeEntry } from '../journal/entries.ts';
import { addOperatorWithCli, initCenterWithCli, runCli } from '../test/center_process.ts';

let work: string;
let data: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-access-cli-'));
  data = await initCenterWithCli(work, 1);
  for (const [username, role, scope] of [
    ['ana.lopez', 'capturista', 'catd:CATD-01'],
    ['beto.admin', 'administrador', 'nacional'],
  ] as const) {
    const added = await addOperatorWithCli(data, {
      username,
      role,
      scope,
      password: 'una frase larga que nadie adivina',
    });
    assert.equal(added.code, 0, added.stderr);
  }
  const enrolled = await runCli([
    'device',
    'enroll',
    '--data',
    data,
    '--id',
    'CATD-01-S1',
    '--origin',
    'CATD',
    '--bound-to',
    'CATD-01',
    '--generate-key',
    path.join(work, 's1.key'),
  ]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
});

after(() => rm(work, { recursive: true, force: true }));

async function journalTail(): Promise<{ size: number; last: unknown }> {
  const node = await openCenter({ root: data, clock: Date.now });
  assert.ok(node.ok);
  try {
    const { size } = await node.value.journal.journalHead();
    const [bytes] = await node.value.journal.journalEntries(size - 1, size);
    const decoded = decodeEntry(bytes!);
    assert.ok(decoded.ok);
    return { size, last: decoded.value };
  } finally {
    await node.value.close();
  }
}

describe('openprep access review', () => {
  test('the report, its hash, a signature journaled; after a change, refused with what changed', async () => {
    const text = await runCli(['access', 'review', '--data', data]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Access review of .*, scope nacional$/m);
    assert.match(text.stdout, /^operators: 2 \(0 disabled\); by role: capturista 1, administrador 1$/m);
    assert.match(text.stdout, /^ana\.lopez .* catd:CATD-01 +password\+totp .* never +never-used$/m);
    assert.match(text.stdout, /^beto\.admin .* never +never-used, no-webauthn$/m);
    assert.match(text.stdout, /^CATD-01-S1 +CATD +CATD-01 .* never +device-never-used$/m);
    const sha = /^SHA-256 ([0-9a-f]{64})$/m.exec(text.stdout)?.[1];
    assert.ok(sha !== undefined);

    const file = path.join(work, 'review.json');
    const json = await runCli(['access', 'review', '--data', data, '--format', 'json', '--out', file]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(await readFile(file, 'utf8')) as {
      sha256: string;
      summary: { findings: number };
    };
    assert.equal(report.sha256, sha, 'the same accounts give the same hash');
    assert.equal(report.summary.findings, 4);

    const noBy = await runCli(['access', 'review', '--data', data, '--certify', sha]);
    assert.equal(noBy.code, 2);
    assert.match(noBy.stderr, /--certify needs --by NAME/);

    const signed = await runCli([
      'access',
      'review',
      '--data',
      data,
      '--certify',
      sha,
      '--by',
      'Ana López',
      '--note',
      'monthly',
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(
      signed.stdout,
      new RegExp(`access review ${sha} certified by Ana López \\(2 operators, 1 devices, 4 findings`),
    );
    const journaled = await journalTail();
    assert.deepEqual(
      { ...(journaled.last as object), at: 0 },
      {
        type: 'ACCESS_REVIEW_CERTIFIED',
        at: 0,
        reportSha256: sha,
        operators: 2,
        devices: 1,
        findings: 4,
        by: 'Ana López',
        note: 'monthly',
      },
    );

    // A device revoked after the review: the old hash no longer signs anything.
    const revoked = await runCli([
      'device',
      'revoke',
      '--data',
      data,
      '--id',
      'CATD-01-S1',
      '--reason',
      'lost',
    ]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const before = await journalTail();
    const refused = await runCli(['access', 'review', '--data', data, '--certify', sha, '--by', 'Ana López']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not certified: the access review changed since it was reviewed/);
    assert.match(
      refused.stderr,
      /device CATD-01-S1: revokedAt null → \d+; findings device-never-used → none/,
    );
    assert.equal((await journalTail()).size, before.size, 'nothing journaled');
  });
});
