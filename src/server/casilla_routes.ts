/**
 * PREP Casilla served by the center: the phone app's page, its manifest and service worker,
 * and its modules — TypeScript from src/, types stripped by Node once at start (no bundler,
 * no build step), a fixed list and nothing else. Plus the enrolment of a phone by a signed-in
 * coordinator (a phone, or a CATD agent with `openprep agent enroll`): the device makes its
 * key and sends the public half.
 */
import { readFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { enrollDevice } from '../intake/devices.ts';
import type { CenterNode } from '../center/node.ts';
import { APP_MODULES, APP_PAGES } from '../casilla/files.ts';

const SRC = path.join(import.meta.dirname, '..');

/** The app's own policy: its scripts, styles and API from this origin only; photos as blobs. */
export const CASILLA_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
  "worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const enrolSchema = z
  .object({
    id: z.string().min(1).max(64),
    publicKey: z.string().min(1).max(100),
    origin: z.enum(['CASILLA', 'CATD']).default('CASILLA'),
    boundTo: z.string().min(1).max(64),
  })
  .strict();

export async function registerCasillaRoutes(
  app: FastifyInstance,
  node: CenterNode,
  clock: () => number,
): Promise<void> {
  const files = new Map<string, { body: string; type: string }>();
  for (const [url, file, type] of APP_PAGES)
    files.set(url, { body: await readFile(path.join(SRC, file), 'utf8'), type });
  const javascript = 'text/javascript; charset=utf-8';
  for (const module of APP_MODULES) {
    const text = await readFile(path.join(SRC, module), 'utf8');
    // A JSON module (the quality gate's thresholds) goes as it is, with the type browsers require.
    files.set(
      `/src/${module}`,
      module.endsWith('.json')
        ? { body: text, type: 'application/json; charset=utf-8' }
        : { body: stripTypeScriptTypes(text), type: javascript },
    );
  }
  files.set('/src/casilla/sw.ts', {
    body: stripTypeScriptTypes(await readFile(path.join(SRC, 'casilla/sw.ts'), 'utf8')),
    type: javascript,
  });

  app.get('/casilla', { config: { policy: 'public' } }, async (_request, reply) =>
    reply.redirect('/casilla/', 301),
  );
  for (const [url, { body, type }] of files)
    app.get(url, { config: { policy: 'public' } }, async (_request, reply) => {
      // The worker lives beside the modules it imports, and controls the app's pages.
      if (url === '/src/casilla/sw.ts') reply.header('service-worker-allowed', '/casilla/');
      return reply.header('content-type', type).header('content-security-policy', CASILLA_CSP).send(body);
    });

  app.post(
    '/api/v1/devices',
    { config: { policy: 'session', roles: ['coordinador'] } },
    async (request, reply) => {
      const body = enrolSchema.safeParse(request.body);
      if (!body.success)
        return reply.code(400).send({ error: 'bad-request', message: 'send id, publicKey and boundTo' });
      const operator = request.auth!.operator;
      const enrolled = await enrollDevice(node.devices, {
        id: body.data.id,
        publicKey: body.data.publicKey,
        origin: body.data.origin,
        boundTo: body.data.boundTo,
        label: `${body.data.origin === 'CASILLA' ? 'PREP Casilla' : 'agente CATD'}, alta por ${operator.username} (${operator.scope})`,
        at: clock(),
      });
      if (!enrolled.ok)
        return reply
          .code(enrolled.code === 'device-exists' || enrolled.code === 'key-in-use' ? 409 : 400)
          .send({ error: enrolled.code, message: enrolled.message });
      request.log.info(
        { event: 'security', kind: 'device-enrolled', operatorId: operator.id, deviceId: enrolled.value.id },
        'phone enrolled',
      );
      const election = node.pipeline.election;
      return reply.code(201).send({
        device: { id: enrolled.value.id, origin: enrolled.value.origin, boundTo: enrolled.value.boundTo },
        electionKey: node.verifierKey,
        contests: election.contests.map((contest) => contest.id),
        utcOffsetMinutes: election.utcOffsetMinutes,
      });
    },
  );
}
