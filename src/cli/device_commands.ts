/** `openprep device enroll|list|revoke`. */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import process from 'node:process';
import { enrollDevice, revokeDevice } from '../intake/devices.ts';
import { openCenter } from '../center/node.ts';
import { parseCommandArgs } from './args.ts';
import { deviceEnroll, deviceList, deviceRevoke } from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep device ${command}: ${message}\n`);
  return code;
};

export async function runDeviceEnroll(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, deviceEnroll.options);
  if (!parsed.ok) return fail('enroll', parsed.message, 2);
  const o = parsed.value.options;
  if ((o['public-key'] === undefined) === (o['generate-key'] === undefined))
    return fail(
      'enroll',
      'give the device public key (--public-key <base64>) or --generate-key <file>, not both',
      2,
    );
  let publicKey = o['public-key'];
  if (o['generate-key'] !== undefined) {
    // For drills and tests: the key pair a real device would make itself, private half to a 0600 file.
    const pair = generateKeyPairSync('ed25519');
    try {
      await writeFile(o['generate-key'], pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      return fail('enroll', `cannot write ${o['generate-key']}: ${(error as Error).message}`);
    }
    publicKey = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');
  }
  const node = await openCenter({ root: o.data, clock: Date.now });
  if (!node.ok) return fail('enroll', node.message);
  try {
    const enrolled = await enrollDevice(node.value.devices, {
      id: o.id,
      publicKey: publicKey!,
      origin: o.origin,
      boundTo: o['bound-to'],
      label: o.label,
      // The election's time: a drill's simulated one (src/center/drill_clock.ts).
      at: node.value.clock(),
    });
    if (!enrolled.ok) return fail('enroll', enrolled.message);
    out(
      `enrolled ${enrolled.value.id} (${enrolled.value.origin}, ${enrolled.value.boundTo}) key ${enrolled.value.publicKey}`,
    );
    // Enrolment may come before the territory file; intake refuses this device's packages until then.
    if (!(await node.value.devices.territoryOf(enrolled.value.boundTo, [])).declared)
      process.stderr.write(
        `openprep device enroll: warning: ${enrolled.value.boundTo} has no declared territory yet; the device's packages are refused until its distritos or casillas are declared (openprep territory import)\n`,
      );
    return 0;
  } finally {
    await node.value.close();
  }
}

export async function runDeviceList(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, deviceList.options);
  if (!parsed.ok) return fail('list', parsed.message, 2);
  const node = await openCenter({ root: parsed.value.options.data, clock: Date.now });
  if (!node.ok) return fail('list', node.message);
  try {
    const devices = await node.value.devices.devices();
    if (parsed.value.options.json) out(JSON.stringify(devices));
    else
      for (const d of devices)
        out(
          `${d.id}\t${d.origin}\t${d.boundTo}\t${d.revokedAt === null ? 'active' : `revoked ${new Date(d.revokedAt).toISOString()}`}\t${d.label}`,
        );
    return 0;
  } finally {
    await node.value.close();
  }
}

export async function runDeviceRevoke(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, deviceRevoke.options);
  if (!parsed.ok) return fail('revoke', parsed.message, 2);
  const o = parsed.value.options;
  const node = await openCenter({ root: o.data, clock: Date.now });
  if (!node.ok) return fail('revoke', node.message);
  try {
    const revoked = await revokeDevice(node.value.devices, {
      id: o.id,
      at: node.value.clock(),
      reason: o.reason,
    });
    if (!revoked.ok) return fail('revoke', revoked.message);
    out(`revoked ${revoked.value.id}`);
    return 0;
  } finally {
    await node.value.close();
  }
}
