/**
 * What a node runs, said in public and in the journal (docs/trust.md, "The running code,
 * attested"): the release the bootstrap attested (or none, a development checkout), the
 * maintainers who signed it, Node, the configuration's hash and the host. `DEPLOYMENT` is
 * journaled once at the start of `serve` and `cut`, and again when any of it changes; serve
 * re-checks the release's files every `release.recheckSeconds` and answers
 * `GET /.well-known/openprep-release` with all of it.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import process from 'node:process';
import { Counter, Gauge, type Registry } from 'prom-client';
import { nodeId } from '../center/node.ts';
import type { JournalPort } from '../journal/journal_port.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import {
  type Attestation,
  type AttestationCode,
  attestRelease,
  type Difference,
} from '../release/bootstrap.ts';
import type { ServeConfig } from './config.ts';

/**
 * SHA-256 (hex) of the configuration in canonical JSON, secrets removed: two nodes configured
 * alike show the same hash, and a change of configuration shows as a new DEPLOYMENT. A secret is
 * never hashed — a hash of a short token published in the journal could be searched offline —
 * so the metrics token is left out entirely and the webhook's address keeps no query or
 * fragment (where a service may put one). File paths (a secret's file) are not secrets.
 */
export function configSha256(config: ServeConfig): string {
  return createHash('sha256')
    .update(canonicalJson(withoutSecrets(config)), 'utf8')
    .digest('hex');
}

export function withoutSecrets(config: ServeConfig): unknown {
  const copy = structuredClone(config) as ServeConfig & {
    metrics: { token?: string };
    alerts: { webhook?: { url?: string } };
  };
  delete copy.metrics.token;
  const webhook = copy.alerts.webhook;
  if (webhook?.url !== undefined) {
    const url = new URL(webhook.url);
    url.search = '';
    url.hash = '';
    webhook.url = url.toString();
  }
  return copy;
}

/** The facts a DEPLOYMENT entry records. */
export interface DeploymentFacts {
  readonly command: 'serve' | 'cut';
  readonly release: { readonly version: string; readonly sha256: string; readonly commit: string } | null;
  readonly signers: readonly string[];
  readonly node: string;
  readonly configSha256: string;
  readonly host: string;
  readonly nodeId: string;
}

export function deploymentFacts(
  command: 'serve' | 'cut',
  attestation: Attestation,
  config: ServeConfig,
  env: NodeJS.ProcessEnv = process.env,
): DeploymentFacts {
  return {
    command,
    release:
      attestation.kind === 'attested'
        ? { version: attestation.version, sha256: attestation.sha256, commit: attestation.commit }
        : null,
    signers: attestation.kind === 'attested' ? attestation.signers : [],
    node: process.versions.node,
    configSha256: configSha256(config),
    host: hostname(),
    nodeId: nodeId(env),
  };
}

/** The last re-check: when, and what it found. */
export interface ReleaseCheck {
  readonly at: number;
  readonly ok: boolean;
  readonly code: AttestationCode | null;
  readonly differences: number;
  readonly milliseconds: number;
}

/** What `GET /.well-known/openprep-release` answers. */
export interface ReleaseDocument {
  readonly format: 'openprep-deployment/1';
  readonly release: {
    readonly version: string;
    readonly sha256: string;
    readonly commit: string;
    readonly signers: readonly string[];
  } | null;
  readonly attested: boolean;
  readonly node: string;
  readonly configSha256: string;
  readonly host: string;
  readonly nodeId: string;
  readonly startedAt: string;
  readonly lastCheck: {
    readonly at: string;
    readonly ok: boolean;
    readonly code: string | null;
    readonly differences: number;
  } | null;
}

const MAX_JOURNALED_DIFFERENCES = 20;

/**
 * One process's deployment: journals its facts when they are new, re-checks the release, and
 * says all of it to whoever asks.
 */
export class Deployment {
  readonly #journal: JournalPort;
  readonly #clock: () => number;
  readonly #attestation: Attestation;
  readonly #facts: () => DeploymentFacts;
  readonly #startedAt: number;
  #journaled: string | null = null;
  #current: DeploymentFacts;
  #lastCheck: ReleaseCheck | null = null;
  #checks: Counter<'result'> | null = null;
  #checkSeconds: Gauge | null = null;

  constructor(options: {
    readonly journal: JournalPort;
    readonly clock: () => number;
    readonly attestation: Attestation;
    /** The facts as they are now (the host name is read each time). */
    readonly facts: () => DeploymentFacts;
  }) {
    this.#journal = options.journal;
    this.#clock = options.clock;
    this.#attestation = options.attestation;
    this.#facts = options.facts;
    this.#startedAt = options.clock();
    this.#current = options.facts();
  }

  get attestation(): Attestation {
    return this.#attestation;
  }

  /** The release a cut names: null in a development checkout. */
  get release(): { version: string; sha256: string } | null {
    const a = this.#attestation;
    return a.kind === 'attested' ? { version: a.version, sha256: a.sha256 } : null;
  }

  /** Journals DEPLOYMENT when the facts differ from those this process journaled last. */
  async journalIfChanged(): Promise<boolean> {
    this.#current = this.#facts();
    const key = canonicalJson(this.#current);
    if (key === this.#journaled) return false;
    const facts = this.#current;
    await this.#journal.transaction((tx) =>
      tx.appendJournal({
        type: 'DEPLOYMENT',
        at: this.#clock(),
        command: facts.command,
        release: facts.release,
        signers: [...facts.signers],
        node: facts.node,
        configSha256: facts.configSha256,
        host: facts.host,
        nodeId: facts.nodeId,
      }),
    );
    this.#journaled = key;
    return true;
  }

  /** The release's metrics on `GET /metrics`. */
  registerMetrics(registry: Registry): void {
    const registers = [registry];
    const attested = this.#attestation.kind === 'attested' ? 1 : 0;
    new Gauge({
      name: 'openprep_release_attested',
      help: 'Whether this node runs an installed release the bootstrap attested (1) or a development checkout (0).',
      registers,
      collect() {
        this.set(attested);
      },
    });
    this.#checks = new Counter({
      name: 'openprep_release_checks_total',
      help: 'Periodic re-checks of the running release against its signed manifest, by result (a failed one stops the node).',
      labelNames: ['result'],
      registers,
    });
    this.#checks.inc({ result: 'ok' }, 0);
    this.#checks.inc({ result: 'failed' }, 0);
    this.#checkSeconds = new Gauge({
      name: 'openprep_release_check_seconds',
      help: 'How long the last check of the running release took (reading and hashing every file).',
      registers,
    });
    if (this.#attestation.kind === 'attested') this.#checkSeconds.set(this.#attestation.checkMs / 1000);
  }

  /**
   * Checks the release's files again (the code already loaded does it: not a fresh read of the
   * checker, which is among the files checked). Returns the failure, journaled, or null.
   */
  async recheck(env: NodeJS.ProcessEnv): Promise<ReleaseCheck> {
    const a = this.#attestation;
    if (a.kind !== 'attested') throw new Error('a development checkout has no release to re-check');
    const started = performance.now();
    const result = await attestRelease(a.root, env);
    const milliseconds = Math.round(performance.now() - started);
    this.#checkSeconds?.set(milliseconds / 1000);
    // A release whose files all check but whose hash is another one was replaced whole.
    const replaced = result.ok && result.value.sha256 !== a.sha256;
    const ok = result.ok && !replaced;
    const differences: readonly Difference[] = result.ok ? [] : result.differences;
    const check: ReleaseCheck = {
      at: this.#clock(),
      ok,
      code: result.ok ? (replaced ? 'release-modified' : null) : result.code,
      differences: differences.length,
      milliseconds,
    };
    this.#lastCheck = check;
    this.#checks?.inc({ result: ok ? 'ok' : 'failed' });
    if (!ok) {
      const facts = this.#facts();
      await this.#journal.transaction((tx) =>
        tx.appendJournal({
          type: 'RELEASE_CHECK_FAILED',
          at: check.at,
          release: { version: a.version, sha256: a.sha256 },
          code: check.code ?? 'release-modified',
          differences: differences
            .slice(0, MAX_JOURNALED_DIFFERENCES)
            .map((d) => ({ path: d.path, problem: d.problem })),
          count: differences.length,
          host: facts.host,
          nodeId: facts.nodeId,
        }),
      );
    }
    return check;
  }

  /** The failure of the last re-check, for the log: its message and differences. */
  static describe(check: ReleaseCheck): string {
    return `the running release no longer checks (${check.code}, ${check.differences} file(s) differ)`;
  }

  document(): ReleaseDocument {
    const a: Attestation = this.#attestation;
    const facts = this.#current;
    const last = this.#lastCheck;
    return {
      format: 'openprep-deployment/1',
      release:
        a.kind === 'attested'
          ? { version: a.version, sha256: a.sha256, commit: a.commit, signers: [...a.signers] }
          : null,
      attested: a.kind === 'attested',
      node: facts.node,
      configSha256: facts.configSha256,
      host: facts.host,
      nodeId: facts.nodeId,
      startedAt: new Date(this.#startedAt).toISOString(),
      lastCheck:
        last === null
          ? a.kind === 'attested'
            ? { at: new Date(this.#startedAt).toISOString(), ok: true, code: null, differences: 0 }
            : null
          : {
              at: new Date(last.at).toISOString(),
              ok: last.ok,
              code: last.code,
              differences: last.differences,
            },
    };
  }
}
