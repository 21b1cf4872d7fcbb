/** The canonical catalog file (docs/publication-format.md, "The catalog file"). */
import { createHash } from 'node:crypto';
import { type Catalog, compareCasillas } from '../domain/catalog.ts';
import { CATALOG_COLUMNS } from './csv_columns.ts';

function csvCell(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d) return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * The canonical catalog file (docs/publication-format.md, "The catalog file"): UTF-8 without BOM,
 * `\n` line ends, the canonical header, one row per casilla in publication order.
 */
export function catalogToCsv(catalog: Catalog): string {
  const entidadNames = new Map(catalog.entidades.map((e) => [e.id, csvCell(e.name)]));
  const distritoNames = new Map(catalog.distritos.map((d) => [d.entidad * 100 + d.id, csvCell(d.name)]));
  const lines: string[] = [CATALOG_COLUMNS.join(',')];
  for (const c of [...catalog.casillas].sort(compareCasillas)) {
    const entidad = entidadNames.get(c.entidad);
    const distrito = distritoNames.get(c.entidad * 100 + c.distrito);
    if (entidad === undefined || distrito === undefined)
      throw new Error(`casilla ${c.key} refers to an entidad or distrito missing from the catalog`);
    lines.push(
      `${c.entidad},${entidad},${pad(c.distrito, 3)},${distrito},${pad(c.seccion, 4)},${c.tipo},${pad(c.id, 2)},${pad(c.extension, 2)},${c.ubicacion === 'URBANA' ? 1 : 2},${c.listaNominal},${c.representantes},${c.boletasAprobadas}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** SHA-256 (lowercase hex) of the canonical catalog file: the `catalog.sha256` of every manifest. */
export function catalogSha256(catalog: Catalog): string {
  return createHash('sha256').update(catalogToCsv(catalog), 'utf8').digest('hex');
}
