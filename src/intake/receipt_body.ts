/**
 * A receipt's body, as the center writes it (docs/intake.md): pure, so the phone app reads
 * receipts with the very parser the center's tests use.
 */
import { err, ok, type Result } from '../domain/result.ts';

export interface Receipt {
  readonly packageSha256: string;
  readonly deviceId: string;
  readonly sequence: number;
  readonly imageSha256: string;
  readonly recordId: string;
  readonly leafIndex: number;
  readonly acopio: string;
}

/** Reads a receipt's body (after its signature has been checked with openNote). */
export function parseReceiptBody(body: string, keyName: string): Result<Receipt, 'bad-receipt'> {
  const m =
    /^(.+)\/receipt\npackage ([0-9a-f]{64})\ndevice (\S+) ([0-9]+)\nimage ([0-9a-f]{64})\nrecord (\S+)\nleaf ([0-9]+)\nacopio (\S+)\n$/.exec(
      body,
    );
  if (m === null || m[1] !== keyName) return err('bad-receipt', 'not an OpenPREP receipt of this election');
  return ok({
    packageSha256: m[2]!,
    deviceId: m[3]!,
    sequence: Number(m[4]),
    imageSha256: m[5]!,
    recordId: m[6]!,
    leafIndex: Number(m[7]),
    acopio: m[8]!,
  });
}

/**
 * A receipt key's certificate (docs/intake.md, "Receipts signed by a node's key"): a signed
 * note of the election's key saying that this node's Ed25519 key may sign receipts of this
 * election between two instants. Nodes that do not hold the election's key (the signer
 * service holds it) sign receipts with such a key and carry the certificate in the receipt.
 */
export interface ReceiptKeyCertificate {
  readonly node: string;
  /** The receipt key, as a C2SP verifier key `<name>+<id>+<base64>`. */
  readonly verifierKey: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The name a node's receipt key signs under. */
export function receiptKeyName(electionKeyName: string, node: string): string {
  return `${electionKeyName}.receipt.${node}`;
}

export function formatReceiptKeyCertificateBody(electionKeyName: string, c: ReceiptKeyCertificate): string {
  if (!NODE_ID.test(c.node)) throw new Error(`bad node id ${JSON.stringify(c.node)}`);
  return [
    `${electionKeyName}/receipt-key`,
    `node ${c.node}`,
    `key ${c.verifierKey}`,
    `valid ${new Date(c.notBefore).toISOString()} ${new Date(c.notAfter).toISOString()}`,
    '',
  ].join('\n');
}

export function parseReceiptKeyCertificateBody(
  body: string,
  electionKeyName: string,
): Result<ReceiptKeyCertificate, 'bad-certificate'> {
  const m = /^(.+)\/receipt-key\nnode (\S+)\nkey (\S+)\nvalid (\S+) (\S+)\n$/.exec(body);
  if (m === null || m[1] !== electionKeyName || !NODE_ID.test(m[2]!))
    return err('bad-certificate', 'not a receipt key certificate of this election');
  const notBefore = Date.parse(m[4]!);
  const notAfter = Date.parse(m[5]!);
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter) || notAfter < notBefore)
    return err('bad-certificate', 'the certificate’s validity is not two instants in order');
  return ok({ node: m[2]!, verifierKey: m[3]!, notBefore, notAfter });
}

/** How one side (node:crypto, or the browser's WebCrypto) opens a signed note with a key. */
export interface NoteOpening<K> {
  parseKey(text: string): Promise<K | null>;
  /** The note's body when `key` signed it, else null. */
  open(note: string, key: K): Promise<string | null>;
}

const CERTIFICATE_LINE = /\ncertificate ([A-Za-z0-9+/=]+)\n$/;

/**
 * The body of a receipt whose signature checks out, without its certificate line: signed by
 * the election's key itself (the embedded default), or by a node's receipt key whose
 * certificate the election's key signed, for the node the receipt key is named after, and
 * valid at the receipt's acopio time. Null otherwise. parseReceiptBody reads the result.
 */
export async function openReceipt<K>(
  receipt: string,
  electionKeyName: string,
  electionKey: K,
  crypto: NoteOpening<K>,
): Promise<string | null> {
  const direct = await crypto.open(receipt, electionKey);
  if (direct !== null) return direct;
  const split = receipt.lastIndexOf('\n\n');
  if (split < 0) return null;
  const signedBody = receipt.slice(0, split + 1);
  const line = CERTIFICATE_LINE.exec(signedBody);
  if (line === null) return null;
  let certificateNote: string;
  try {
    const binary = atob(line[1]!);
    certificateNote = new TextDecoder('utf-8', { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const certificateBody = await crypto.open(certificateNote, electionKey);
  if (certificateBody === null) return null;
  const certificate = parseReceiptKeyCertificateBody(certificateBody, electionKeyName);
  if (!certificate.ok) return null;
  const { verifierKey, node, notBefore, notAfter } = certificate.value;
  if (!verifierKey.startsWith(`${receiptKeyName(electionKeyName, node)}+`)) return null;
  const receiptKey = await crypto.parseKey(verifierKey);
  if (receiptKey === null) return null;
  const body = await crypto.open(receipt, receiptKey);
  if (body === null) return null;
  const plain = body.slice(0, line.index + 1);
  const acopio = /\nacopio (\S+)\n$/.exec(plain);
  const at = acopio === null ? Number.NaN : Date.parse(acopio[1]!);
  // The acopio time is written to the second: the certificate's window is too.
  if (!(at >= Math.floor(notBefore / 1000) * 1000 && at <= notAfter)) return null;
  return plain;
}
