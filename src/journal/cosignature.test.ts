import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { test } from 'node:test';
import { openCosignaturesWeb, parseWitnessKeyWeb } from '../platform/web/cosignature.ts';
import {
  addCosignatureLine,
  cosignatureLine,
  formatWitnessKey,
  openCosignatures,
  parseWitnessKey,
} from './cosignature.ts';
import { signNote } from './note.ts';

// RFC 8032 §7.1 TEST 1: a published Ed25519 key pair, so the vectors below can be redone anywhere.
const SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
const PRIVATE = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED]),
  format: 'der',
  type: 'pkcs8',
});
const WITNESS = { name: 'witness.example', privateKey: PRIVATE };
const BODY = `openprep.test/log\n5\n${Buffer.alloc(32, 7).toString('base64')}\n`;
const TIME = 1_700_000_000;
const KEY_TEXT = 'witness.example+82bca4dd+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const LINE =
  '\u2014 witness.example gryk3QAAAABlU/EAHAKcOMj5Gqpwart1/NIY/69/7j1JDEBImv78xl0/LXnzvUYcvqcZ8UzT5HQDtqxZfO+8EWTyf4e8HSkuGs5sDw==';

function logNote(body = BODY) {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signNote(body, { name: 'openprep.test', privateKey });
}

test('the known-answer vector: key format, key id and line bytes as the spec builds them', () => {
  assert.equal(formatWitnessKey('witness.example', PUBLIC), KEY_TEXT);
  // The key id by hand: SHA-256("witness.example" || 0x0A || 0x04 || public key)[:4].
  const id = createHash('sha256')
    .update(Buffer.concat([Buffer.from('witness.example', 'ascii'), Buffer.from([0x0a, 0x04]), PUBLIC]))
    .digest()
    .subarray(0, 4);
  assert.equal(id.toString('hex'), '82bca4dd');
  assert.equal(cosignatureLine(BODY, WITNESS, TIME), LINE);
  const blob = Buffer.from(LINE.split(' ')[2]!, 'base64');
  assert.equal(blob.length, 76);
  assert.deepEqual(blob.subarray(0, 4), id);
  // 1700000000 = 0x6553F100, eight bytes big-endian.
  assert.equal(blob.subarray(4, 12).toString('hex'), '000000006553f100');
  const message = Buffer.from(`cosignature/v1\ntime 1700000000\n${BODY}`, 'utf8');
  const publicKey = createPublicKey(PRIVATE);
  assert.ok(verify(null, message, publicKey, blob.subarray(12)));
});

test('a cosigned note opens with the witness key, in Node and with WebCrypto alike', async () => {
  const note = addCosignatureLine(logNote(), LINE);
  const key = parseWitnessKey(KEY_TEXT);
  assert.ok(key.ok);
  const opened = openCosignatures(note, [key.value]);
  assert.ok(opened.ok);
  assert.deepEqual(
    opened.value.cosignatures.map((c) => [c.name, c.keyIdHex, c.time]),
    [['witness.example', '82bca4dd', TIME]],
  );
  // Adding the same witness's line twice leaves one.
  assert.equal(addCosignatureLine(note, LINE), note);
  const web = await parseWitnessKeyWeb(KEY_TEXT);
  assert.ok(!('problem' in web));
  const webOpened = await openCosignaturesWeb(note, [web]);
  assert.deepEqual(webOpened.problems, []);
  assert.deepEqual(webOpened.cosignatures, [{ name: 'witness.example', keyIdHex: '82bca4dd', time: TIME }]);
});

test('refused: another time, another checkpoint, a wrong type byte, a truncated line', async () => {
  const key = parseWitnessKey(KEY_TEXT);
  assert.ok(key.ok);
  const web = await parseWitnessKeyWeb(KEY_TEXT);
  assert.ok(!('problem' in web));
  const blob = Buffer.from(LINE.split(' ')[2]!, 'base64');
  const line = (bytes: Buffer) => `\u2014 witness.example ${bytes.toString('base64')}`;
  // The time is part of the signed message: a line whose stamp says another second fails.
  const retimed = Buffer.from(blob);
  retimed.writeBigUInt64BE(BigInt(TIME + 1), 4);
  const other = `openprep.test/log\n6\n${Buffer.alloc(32, 8).toString('base64')}\n`;
  const cases: [string, string][] = [
    ['another time', addCosignatureLine(logNote(), line(retimed))],
    ['another checkpoint', addCosignatureLine(logNote(other), LINE)],
    ['truncated', addCosignatureLine(logNote(), line(blob.subarray(0, 40)))],
  ];
  for (const [why, note] of cases) {
    const opened = openCosignatures(note, [key.value]);
    assert.ok(!opened.ok, why);
    assert.equal(opened.code, 'bad-cosignature', why);
    const webOpened = await openCosignaturesWeb(note, [web]);
    assert.equal(webOpened.cosignatures.length, 0, why);
    assert.equal(webOpened.problems.length, 1, why);
  }
  // A key of the plain Ed25519 type (0x01) is not a witness key, and its id differs anyway.
  const plain = `witness.example+82bca4dd+${Buffer.concat([Buffer.from([0x01]), PUBLIC]).toString('base64')}`;
  const refused = parseWitnessKey(plain);
  assert.ok(!refused.ok);
  assert.match(refused.message, /0x01, not 0x04/);
  assert.ok('problem' in (await parseWitnessKeyWeb(plain)));
  // A key whose id is not its own.
  assert.ok(!parseWitnessKey(KEY_TEXT.replace('82bca4dd', '82bca4de')).ok);
  assert.ok(!parseWitnessKey('witness.example').ok);
});

test("unknown witnesses and the log's own line are passed over", () => {
  const note = logNote();
  const key = parseWitnessKey(KEY_TEXT);
  assert.ok(key.ok);
  const opened = openCosignatures(note, [key.value]);
  assert.ok(opened.ok);
  assert.deepEqual(opened.value.cosignatures, []);
  const malformed = openCosignatures(`${note}not a line\n`, [key.value]);
  assert.ok(!malformed.ok);
  assert.equal(malformed.code, 'malformed');
});
