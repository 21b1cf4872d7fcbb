/**
 * An enrolled field device (a CATD's scanner agent or a PREP Casilla phone): its public key and
 * the unit it is bound to. Intake checks packages against it; a purge (auth) revokes it.
 */
export type DeviceOrigin = 'CASILLA' | 'CATD';

export interface DeviceRow {
  readonly id: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
  readonly origin: DeviceOrigin;
  /** The CATD or CAE the device belongs to. */
  readonly boundTo: string;
  readonly label: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
}
