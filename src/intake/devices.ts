/**
 * Enrolled devices (PREP Casilla phones, CATD scanners): each has its own Ed25519 key, bound to
 * a CATD or a CAE and to one origin. Enrolment and revocation are journal events; revocation
 * takes effect for the very next package, since intake reads the device on every package.
 */
import { err, ok, type Result } from '../domain/result.ts';
import type { DevicesPort } from './devices_port.ts';
import type { DeviceOrigin, DeviceRow } from '../domain/device.ts';
import { devicePublicKey } from './package.ts';

export type DeviceError =
  | 'bad-key'
  | 'device-exists'
  | 'key-in-use'
  | 'no-such-device'
  | 'already-revoked'
  | 'bad-id';

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function enrollDevice(
  devices: DevicesPort,
  input: {
    readonly id: string;
    readonly publicKey: string;
    readonly origin: DeviceOrigin;
    readonly boundTo: string;
    readonly label: string;
    readonly at: number;
  },
): Promise<Result<DeviceRow, DeviceError>> {
  if (!DEVICE_ID.test(input.id))
    return err('bad-id', 'a device id is 1 to 64 letters, digits, dots, dashes or underscores');
  const key = devicePublicKey(input.publicKey);
  if (!key.ok) return key;
  return devices.transaction(async (tx) => {
    if ((await tx.getDevice(input.id)) !== null)
      return err('device-exists', `device ${input.id} is already enrolled (ids are never reused)`);
    const device: DeviceRow = { ...input, enrolledAt: input.at, revokedAt: null };
    try {
      await tx.putDevice(device);
    } catch {
      return err('key-in-use', 'this public key is already enrolled for another device');
    }
    await tx.appendJournal({
      type: 'DEVICE_ENROLLED',
      at: input.at,
      deviceId: device.id,
      publicKey: device.publicKey,
      origin: device.origin,
      boundTo: device.boundTo,
    });
    return ok(device);
  });
}

export async function revokeDevice(
  devices: DevicesPort,
  input: { readonly id: string; readonly at: number; readonly reason: string },
): Promise<Result<DeviceRow, DeviceError>> {
  return devices.transaction(async (tx) => {
    const device = await tx.getDevice(input.id);
    if (device === null) return err('no-such-device', `no device ${input.id} is enrolled`);
    if (device.revokedAt !== null) return err('already-revoked', `device ${input.id} is already revoked`);
    const revoked = { ...device, revokedAt: input.at };
    await tx.putDevice(revoked);
    await tx.appendJournal({
      type: 'DEVICE_REVOKED',
      at: input.at,
      deviceId: device.id,
      reason: input.reason,
    });
    return ok(revoked);
  });
}
