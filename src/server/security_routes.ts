/**
 * The security team's routes (docs/security-operations.md): the alerts the monitor raised, read
 * only, for the `seguridad` role (and administrador and auditor, who answer for the center and
 * audit it). A nacional account sees every alert; an entidad's or a CATD's sees only those
 * about its own operators and devices — alerts about an address or the whole center say
 * nothing about a scope, so they are for nacional accounts alone.
 *
 * Also the `throttle` response at sign-in: the addresses refused, read from the store (every
 * node the same) at most once a second, so a flood of sign-ins costs no query each.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/operators_port.ts';
import type { DeviceRow } from '../domain/device.ts';
import { SECURITY_DETECTIONS } from '../journal/entry_types.ts';
import type { AddressBlock, SecurityAlertRow, SecurityReads } from '../security/alerts_port.ts';

export const SECURITY_READER_ROLES: readonly Role[] = ['seguridad', 'administrador', 'auditor'];

const alertsQuery = z
  .object({
    severity: z.enum(['warning', 'high', 'critical']).optional(),
    detection: z.enum(SECURITY_DETECTIONS).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

/** The addresses refused sign-ins now, as every node reads them from the store (cached a second). */
export class AddressBlocks {
  readonly #store: SecurityReads;
  readonly #clock: () => number;
  #blocks = new Map<string, AddressBlock>();
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | null = null;

  constructor(store: SecurityReads, clock: () => number) {
    this.#store = store;
    this.#clock = clock;
  }

  /** How long the address must still wait, in ms; 0 when it is not refused. */
  async waitFor(address: string): Promise<number> {
    const now = this.#clock();
    if (now - this.#readAt >= 1_000 || now < this.#readAt) {
      this.#reading ??= this.#store
        .addressBlocks(now)
        .then((blocks) => {
          this.#blocks = new Map(blocks.map((b) => [b.address, b]));
          this.#readAt = now;
        })
        .finally(() => {
          this.#reading = null;
        });
      await this.#reading;
    }
    const block = this.#blocks.get(address);
    return block === undefined ? 0 : Math.max(0, block.until - now);
  }
}

export function registerSecurityRoutes(
  app: FastifyInstance,
  options: {
    readonly alerts: SecurityReads;
    readonly operators: () => Promise<readonly { readonly id: string; readonly scope: string }[]>;
    readonly devices: () => Promise<readonly DeviceRow[]>;
  },
): void {
  app.get(
    '/api/v1/security/alerts',
    { config: { policy: 'session', roles: SECURITY_READER_ROLES } },
    async (request, reply) => {
      const query = alertsQuery.safeParse(request.query);
      if (!query.success)
        return reply.code(400).send({
          error: 'bad-request',
          message: `bad query: ${query.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}`,
        });
      const scope = request.auth!.operator.scope;
      // Filters are applied after the read of the newest alerts, so a filtered view is over those.
      let alerts = (await options.alerts.securityAlerts(1000)).filter(
        (a) =>
          (query.data.severity === undefined || a.severity === query.data.severity) &&
          (query.data.detection === undefined || a.detection === query.data.detection),
      );
      if (scope !== 'nacional') {
        const operators = new Map((await options.operators()).map((o) => [o.id, o.scope]));
        const devices = new Map((await options.devices()).map((d) => [d.id, d.boundTo]));
        const inScope = (a: SecurityAlertRow) => {
          const { operatorId, deviceId } = a.subject;
          if (operatorId !== undefined) {
            const own = operators.get(operatorId);
            return own === scope;
          }
          if (deviceId !== undefined) return `catd:${devices.get(deviceId) ?? ''}` === scope;
          return false;
        };
        alerts = alerts.filter(inScope);
      }
      return { alerts: alerts.slice(0, query.data.limit) };
    },
  );
}
