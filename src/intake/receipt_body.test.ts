import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  formatVerifierKey,
  type NoteSigner,
  parseVerifierKey,
  rawPublicKeyOf,
  signNote,
} from '../journal/note.ts';
import { makeDevice, packageFor } from '../test/packages.ts';
import { openReceiptNode, parsePackageHeader, signReceipt } from './package.ts';
import { formatReceiptKeyCertificateBody, parseReceiptBody, receiptKeyName } from './receipt_body.ts';

const election: NoteSigner = {
  name: 'openprep.T1.simulacro',
  privateKey: generateKeyPairSync('ed25519').privateKey,
};
const electionKey = parseVerifierKey(formatVerifierKey(election.name, rawPublicKeyOf(election.privateKey)));
const ACOPIO = Date.parse('2024-06-02T20:32:00-06:00');

function certified(node: string, keyNode: string, notBefore: number, notAfter: number) {
  const signer: NoteSigner = {
    name: receiptKeyName(election.name, keyNode),
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
  const certificate = signNote(
    formatReceiptKeyCertificateBody(election.name, {
      node,
      verifierKey: formatVerifierKey(signer.name, rawPublicKeyOf(signer.privateKey)),
      notBefore,
      notAfter,
    }),
    election,
  );
  return { electionKeyName: election.name, signer, certificate, notBefore, notAfter };
}

function receiptWith(key: ReturnType<typeof certified> | NoteSigner, acopioAt = ACOPIO): string {
  const device = makeDevice('CATD-1');
  const pkg = parsePackageHeader(
    packageFor(device, Buffer.from('x'), { sequence: 3, claimedKey: '0100012' }).text,
  );
  assert.ok(pkg.ok);
  return signReceipt({ pkg: pkg.value, recordId: 'R1', leafIndex: 9, acopioAt, utcOffsetMinutes: -360 }, key);
}

describe('receipts signed by a certified receipt key', () => {
  assert.ok(electionKey.ok);
  const key = electionKey.value;

  test('one signed by the election key opens as before; one by a certified key opens to the same body', async () => {
    const direct = await openReceiptNode(receiptWith(election), key);
    assert.ok(direct !== null);
    const chained = await openReceiptNode(
      receiptWith(certified('n1', 'n1', ACOPIO - 60_000, ACOPIO + 60_000)),
      key,
    );
    assert.equal(chained, direct);
    assert.ok(parseReceiptBody(chained!, election.name).ok);
  });

  test('an acopio outside the window, a key named for another node, or another election’s certificate: refused', async () => {
    assert.equal(
      await openReceiptNode(receiptWith(certified('n1', 'n1', ACOPIO + 1_000, ACOPIO + 60_000)), key),
      null,
    );
    assert.equal(
      await openReceiptNode(receiptWith(certified('n1', 'n1', ACOPIO - 60_000, ACOPIO - 1_000)), key),
      null,
    );
    assert.equal(
      await openReceiptNode(receiptWith(certified('n1', 'n2', ACOPIO - 60_000, ACOPIO + 60_000)), key),
      null,
    );
    const stranger: NoteSigner = {
      name: election.name,
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    const foreign = certified('n1', 'n1', ACOPIO - 60_000, ACOPIO + 60_000);
    const forged = {
      ...foreign,
      certificate: signNote(
        foreign.certificate.slice(0, foreign.certificate.lastIndexOf('\n\n') + 1),
        stranger,
      ),
    };
    assert.equal(await openReceiptNode(receiptWith(forged), key), null);
  });
});
