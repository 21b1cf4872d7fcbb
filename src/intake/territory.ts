/**
 * The declared territory (docs/territory.md): replaced whole by each import, in one
 * transaction with its journal entry, so the journal says which assignment intake applied from
 * when on (its SHA-256 is reproducible from the file: src/catalog/territory_csv.ts).
 */
import type { Territory } from '../catalog/territory_csv.ts';
import type { DevicesPort } from './devices_port.ts';

export async function declareTerritory(
  devices: DevicesPort,
  territory: Territory,
  at: number,
): Promise<void> {
  await devices.transaction(async (tx) => {
    await tx.replaceTerritory(territory.rows);
    await tx.appendJournal({
      type: 'TERRITORY_DECLARED',
      at,
      territorySha256: territory.sha256,
      units: territory.units,
      assignments: territory.rows.length,
    });
  });
}
