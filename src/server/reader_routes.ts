/**
 * The acta reader's panel in the console (docs/console.md, "Lector de actas"):
 * `GET /api/v1/reader`, the reader's mode, its queue on this node, and its figures as each cut's
 * json/reader.json publishes them — public already, so every scope sees the whole election.
 */
import type { FastifyInstance } from 'fastify';
import type { CenterNode } from '../center/node.ts';
import { readerFiguresJson } from '../publish/reader_json.ts';
import type { ShadowReader } from '../reading/shadow_reader.ts';

/** How long one count of the reader's figures serves every screen that asks. */
const READER_FRESH_MS = 5_000;

export function registerReaderRoutes(
  app: FastifyInstance,
  node: CenterNode,
  reader: ShadowReader | null,
  clock: () => number,
): void {
  // Scoring reads every reading and every acta record: one count serves the screens for a while.
  let last: { at: number; value: Promise<ReturnType<typeof readerFiguresJson>> } | null = null;
  app.get(
    '/api/v1/reader',
    { config: { policy: 'session', roles: ['coordinador', 'auditor', 'administrador'] } },
    async () => {
      const now = clock();
      if (last === null || now - last.at >= READER_FRESH_MS || now < last.at) {
        const value = node.readerReport().then(readerFiguresJson);
        last = { at: now, value };
        value.catch(() => {
          if (last?.value === value) last = null;
        });
      }
      return {
        at: last.at,
        mode: reader === null ? 'off' : 'shadow',
        queue: reader === null ? null : reader.counts,
        figures: await last.value,
      };
    },
  );
}
