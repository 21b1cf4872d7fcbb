/**
 * The access review for the console (docs/operators.md): `GET /api/v1/security/access-review`,
 * read by the security team, administradores and auditors. Each sees the review of their own
 * scope: a CATD's reviewer its CATD's accounts and devices, an entidad's its own and those of
 * the CATDs serving it. Nothing here changes anything; the review is signed from the command
 * line (`openprep access review --certify`), where the report's hash is checked again.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CenterNode } from '../center/node.ts';
import { DEFAULT_DORMANT_DAYS } from '../security/access_review.ts';
import { reviewAccess } from '../security/access_review_service.ts';

const querySchema = z
  .object({ dormantDays: z.coerce.number().int().min(1).max(3650).default(DEFAULT_DORMANT_DAYS) })
  .strict();

export function registerAccessReviewRoutes(
  app: FastifyInstance,
  node: CenterNode,
  clock: () => number,
): void {
  app.get(
    '/api/v1/security/access-review',
    { config: { policy: 'session', roles: ['seguridad', 'administrador', 'auditor'] } },
    async (request, reply) => {
      const query = querySchema.safeParse(request.query);
      if (!query.success)
        return reply
          .code(400)
          .send({ error: 'bad-request', message: 'dormantDays is a whole number of days from 1 to 3650' });
      return reviewAccess(
        node.access,
        {
          electionId: node.pipeline.election.id,
          utcOffsetMinutes: node.pipeline.election.utcOffsetMinutes,
          now: clock(),
          dormantDays: query.data.dormantDays,
          scope: request.auth!.operator.scope,
        },
        node.decoys,
      );
    },
  );
}
