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
