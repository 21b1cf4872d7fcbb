import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSigningKey, verifierKeyText } from '../journal/keys.ts';
import { signNote } from '../journal/note.ts';
import {
  parseReleaseKeys,
  parseReleaseManifest,
  type ReleaseManifest,
  releaseHash,
  releaseStatement,
  serializeReleaseManifest,
  verifyReleaseSignatures,
} from './manifest.ts';

const manifest: ReleaseManifest = {
  format: 'openprep-release/1',
  version: '0.1.0',
  commit: 'a'.repeat(40),
  sourceDateEpoch: 1_700_000_000,
  node: '24.21.0',
  files: [
    { path: 'bin/openprep.js', bytes: 3, sha256: 'b'.repeat(64), mode: '0755' },
    { path: 'node_modules/.bin/node', symlink: '../node/bin/node' },
    { path: 'package.json', bytes: 2, sha256: 'c'.repeat(64), mode: '0644' },
  ],
};
const bytes = serializeReleaseManifest(manifest);
const maintainers = ['ana', 'beto', 'carla'].map((name) => generateSigningKey(`openprep-release.${name}`));
const keysText = `# the maintainers\n${maintainers.map(verifierKeyText).join('\n')}\nthreshold 2\n`;

function pinned() {
  const parsed = parseReleaseKeys(keysText);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.value;
}

describe('release manifest', () => {
  it('reads back what it writes, and its hash is the SHA-256 of its bytes', () => {
    const parsed = parseReleaseManifest(bytes);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, manifest);
    assert.match(releaseHash(bytes), /^[0-9a-f]{64}$/);
    assert.ok(bytes.toString('utf8').endsWith('}\n'));
  });

  it('refuses unsorted files, a path twice, paths leaving the folder, links leaving it, and a non-canonical form', () => {
    const files = manifest.files;
    const cases: unknown[] = [
      { ...manifest, files: [files[1], files[0], files[2]] },
      { ...manifest, files: [files[0], files[0]] },
      { ...manifest, files: [{ ...files[0], path: '../etc/passwd' }] },
      { ...manifest, files: [{ ...files[0], path: '/etc/passwd' }] },
      { ...manifest, files: [{ path: 'node_modules/.bin/x', symlink: '../../../etc/passwd' }] },
      { ...manifest, extra: 1 },
    ];
    for (const value of cases) {
      const result = parseReleaseManifest(Buffer.from(JSON.stringify(value)));
      assert.equal(result.ok, false, JSON.stringify(value));
      assert.equal(!result.ok && result.code, 'bad-release-manifest');
    }
    const compact = parseReleaseManifest(Buffer.from(JSON.stringify(manifest)));
    assert.equal(compact.ok, false, 'compact JSON is not the canonical form');
  });
});

describe('release keys', () => {
  it('reads keys, comments and the threshold', () => {
    const keys = pinned();
    assert.equal(keys.threshold, 2);
    assert.deepEqual(
      keys.keys.map((key) => key.name),
      maintainers.map((m) => m.name),
    );
  });

  it('refuses fewer keys than the threshold, no threshold, two thresholds, a bad key, a name twice', () => {
    const one = verifierKeyText(maintainers[0]!);
    for (const text of [
      '# no keys yet\nthreshold 2\n',
      `${one}\nthreshold 2\n`,
      `${one}\n`,
      `${one}\nthreshold 1\nthreshold 1\n`,
      `${one}\nthreshold 0\n`,
      `${one.slice(0, -3)}AAA\nthreshold 1\n`,
      `${one}\n${one}\nthreshold 1\n`,
    ]) {
      const result = parseReleaseKeys(text);
      assert.equal(result.ok, false, text);
      assert.equal(!result.ok && result.code, 'bad-release-keys');
    }
  });
});

describe('release signatures', () => {
  const statement = releaseStatement(manifest.version, releaseHash(bytes));

  it('2 of 3 maintainers verify with threshold 2', () => {
    const note = signNote(statement, maintainers[0]!, maintainers[2]!);
    const result = verifyReleaseSignatures(note, bytes, pinned());
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(result.value.signers, [maintainers[0]!.name, maintainers[2]!.name]);
  });

  it('1 of 3 fails release-threshold, even with its line repeated', () => {
    const note = signNote(statement, maintainers[1]!, maintainers[1]!);
    const result = verifyReleaseSignatures(note, bytes, pinned());
    assert.equal(!result.ok && result.code, 'release-threshold');
  });

  it('a changed byte of the manifest fails', () => {
    const note = signNote(statement, maintainers[0]!, maintainers[1]!);
    const changed = Buffer.from(bytes);
    changed[changed.indexOf('0.1.0')] = '9'.charCodeAt(0);
    const result = verifyReleaseSignatures(note, changed, pinned());
    assert.equal(!result.ok && result.code, 'bad-release-signature');
  });

  it('a signature by no pinned key is unsigned; a forged pinned signature is bad', () => {
    const stranger = generateSigningKey('openprep-release.mallory');
    const unsigned = verifyReleaseSignatures(signNote(statement, stranger), bytes, pinned());
    assert.equal(!unsigned.ok && unsigned.code, 'release-unsigned');
    const note = signNote(statement, maintainers[0]!, maintainers[1]!);
    const line = note.trimEnd().split('\n').at(-1)!;
    const blob = Buffer.from(line.split(' ')[2]!, 'base64');
    blob[10] = blob[10]! ^ 1;
    const forged = note.replace(line, `${line.split(' ').slice(0, 2).join(' ')} ${blob.toString('base64')}`);
    const bad = verifyReleaseSignatures(forged, bytes, pinned());
    assert.equal(!bad.ok && bad.code, 'bad-release-signature');
  });

  it('a statement of another version with this hash fails', () => {
    const note = signNote(releaseStatement('9.9.9', releaseHash(bytes)), maintainers[0]!, maintainers[1]!);
    const result = verifyReleaseSignatures(note, bytes, pinned());
    assert.equal(!result.ok && result.code, 'bad-release-signature');
  });
});
