/**
 * Every acta esperada of an election as already captured, verified and classified, with
 * realistic values: the snapshot a cut is built from, without playing a night. For benchmarks
 * and tests of the publication side. Deterministic from the random source.
 */
import { createHash } from 'node:crypto';
import type { PublishedActa } from '../domain/acta.ts';
import { actasEsperadas, applicableColumns } from '../domain/actas_esperadas.ts';
import type { Catalog } from '../domain/catalog.ts';
import { classifyActa } from '../domain/classification.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { trueActaFields } from './election_night.ts';
import type { Random } from './random.ts';

export function publishedActas(input: {
  readonly catalog: Catalog;
  readonly election: ElectionDefinition;
  readonly random: Random;
  /** Share of actas that never arrive (0 by default). */
  readonly missing?: number;
  readonly source?: string;
}): Map<string, PublishedActa[]> {
  const { catalog, election, random } = input;
  const start = Date.parse(election.publicationStart);
  const actas = new Map<string, PublishedActa[]>();
  for (const contest of election.contests) {
    const rows: PublishedActa[] = [];
    for (const esperada of actasEsperadas(catalog, contest)) {
      if (input.missing !== undefined && random.chance(input.missing)) continue;
      const casilla = esperada.casilla;
      const fields = trueActaFields({ random, casilla, columns: applicableColumns(contest, casilla) });
      const acopioAt = start + random.int(0, 22 * 3600) * 1000;
      const catd = random.chance(0.4);
      rows.push({
        contest: contest.id,
        actaKey: esperada.actaKey,
        casilla,
        tipoActa: esperada.tipoActa,
        identification: {
          claimedKey: esperada.actaKey,
          entidad: casilla.entidad,
          distrito: casilla.distrito,
          seccion: casilla.seccion,
          tipo: casilla.tipo,
          id: casilla.id,
          extension: casilla.extension,
          tipoActa: esperada.tipoActa,
        },
        fields,
        classification: classifyActa({ casilla, contest, fields, sinActaReason: null }),
        submission: {
          imageSha256: createHash('sha256').update(esperada.actaKey).digest('hex'),
          origin: catd ? 'CATD' : 'CASILLA',
          digitization: catd ? 'ESCANER' : 'MOVIL',
          documentType: 'ACTA_PREP',
          transfer: null,
          acopioAt,
          source: input.source ?? 'simulation',
        },
        capturedAt: acopioAt + 60_000,
        verifiedAt: acopioAt + 120_000,
        cotejada: 0,
      });
    }
    actas.set(contest.id, rows);
  }
  return actas;
}
