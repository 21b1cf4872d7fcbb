import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  devicePublicKey,
  PACKAGE_FORMAT,
  parsePackageHeader,
  signReceipt,
  verifyPackageSignature,
} from '../../intake/package.ts';
import { parseReceiptBody } from '../../intake/receipt_body.ts';
import { formatVerifierKey, type NoteSigner, rawPublicKeyOf } from '../../journal/note.ts';
import { newDeviceKey, openNoteWeb, parseVerifierKeyWeb, publicKeyBase64, signHeader } from './web_crypto.ts';

const header = {
  format: PACKAGE_FORMAT,
  contest: 'PRES',
  claimedKey: '010338B010001',
  origin: 'CASILLA',
  digitization: 'MOVIL',
  documentType: 'ACTA_PREP',
  transfer: null,
  deviceId: 'CAE-PHONE-1',
  sequence: 4,
  deviceTime: '2024-06-02T20:31:00-06:00',
  imageSha256: 'a'.repeat(64),
};

describe('the phone’s WebCrypto', () => {
  test('a header signed on the phone is canonical and verifies at the center with the enrolled key', async () => {
    const pair = await newDeviceKey();
    const signed = await signHeader(header, pair.privateKey);
    const parsed = parsePackageHeader(signed.text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.equal(parsed.value.sha256, signed.sha256);
    const key = devicePublicKey(await publicKeyBase64(pair.publicKey));
    assert.ok(key.ok);
    assert.ok((await verifyPackageSignature(parsed.value, signed.signature, key.value)).ok);
    const other = await newDeviceKey();
    const forged = await signHeader(header, other.privateKey);
    assert.ok(!(await verifyPackageSignature(parsed.value, forged.signature, key.value)).ok);
  });

  test('a receipt from the center opens with the election key; a changed byte or another key does not', async () => {
    const signer: NoteSigner = {
      name: 'openprep-2024-simulacro',
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    const vkey = formatVerifierKey(signer.name, rawPublicKeyOf(signer.privateKey));
    const pkg = parsePackageHeader((await signHeader(header, (await newDeviceKey()).privateKey)).text);
    assert.ok(pkg.ok);
    const receipt = signReceipt(
      {
        pkg: pkg.value,
        recordId: 'R1',
        leafIndex: 17,
        acopioAt: Date.parse('2024-06-02T20:32:00-06:00'),
        utcOffsetMinutes: -360,
      },
      signer,
    );
    const verifier = await parseVerifierKeyWeb(vkey);
    assert.ok(verifier !== null);
    const body = await openNoteWeb(receipt, verifier);
    assert.ok(body !== null);
    assert.deepEqual(parseReceiptBody(body, signer.name), {
      ok: true,
      value: {
        packageSha256: pkg.value.sha256,
        deviceId: 'CAE-PHONE-1',
        sequence: 4,
        imageSha256: 'a'.repeat(64),
        recordId: 'R1',
        leafIndex: 17,
        acopio: '2024-06-02T20:32:00-06:00',
      },
    });
    assert.equal(await openNoteWeb(receipt.replace('leaf 17', 'leaf 18'), verifier), null);
    const stranger = formatVerifierKey(
      signer.name,
      rawPublicKeyOf(generateKeyPairSync('ed25519').privateKey),
    );
    assert.equal(await openNoteWeb(receipt, (await parseVerifierKeyWeb(stranger))!), null);
    assert.equal(
      await parseVerifierKeyWeb(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')),
      null,
      'a wrong key id',
    );
  });
});
