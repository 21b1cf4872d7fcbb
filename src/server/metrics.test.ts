/**
 * `GET /metrics` over real HTTP on loopback, after real packages, captures and a cut: every
 * metric the alert rules and the dashboard read is there with the figures the night made; the
 * endpoint answers loopback without a proxy, or the configured token, and nobody else; no
 * device, operator or host name appears in it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CenterNode, initCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import type { ActaFields } from '../domain/values.ts';
import { enrollDevice } from '../intake/devices.ts';
import { acquireLease, CUT_BUILDER_LEASE } from '../publish/cut_scheduler.ts';
import { publishCut } from '../publish/publisher.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import {
  type CaptureTask,
  captureShift,
  ConsoleClient,
  OPERATOR_PASSWORD,
  type OperatorLogin,
  signIn,
} from '../test/capturistas.ts';
import { makeDevice, makePng, packageFor, postPackage, servesWholeCatalog } from '../test/packages.ts';
import { fromBase32 } from '../auth/totp.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { type ServeConfig, serveConfigSchema } from './config.ts';
import { CenterMetrics } from './metrics.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 5 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;
const TOKEN = 'a-token-of-forty-characters-for-the-test-0123';

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;

/** The samples of an exposition, by metric name: each with its labels and value. */
function parseExposition(text: string): Map<string, { labels: string; value: number }[]> {
  const samples = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(match !== null, `not an exposition line: ${line}`);
    const list = samples.get(match[1]!) ?? [];
    list.push({ labels: match[2] ?? '', value: Number(match[3]) });
    samples.set(match[1]!, list);
  }
  return samples;
}

function value(samples: Map<string, { labels: string; value: number }[]>, name: string, labels = ''): number {
  const found = samples.get(name)?.find((s) => s.labels === labels);
  assert.ok(found !== undefined, `${name}${labels} is not in /metrics`);
  return found.value;
}

async function serve(config: ServeConfig): Promise<{ handle: ServerHandle; base: string }> {
  const handle = await buildServer({ node, config, clock });
  await handle.app.listen({ host: '127.0.0.1', port: 0 });
  return { handle, base: `http://127.0.0.1:${(handle.app.server.address() as AddressInfo).port}` };
}

function fields(task: CaptureTask, votes: number): ActaFields {
  return {
    boletasSobrantes: 100,
    personasVotaron: votes * task.columns.length,
    representantesVotaron: 0,
    votosSacados: votes * task.columns.length,
    votes: Object.fromEntries(task.columns.map((c) => [c.id, votes])),
    totalAsentado: votes * task.columns.length,
  };
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-metrics-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  ({ handle: server, base } = await serve(
    serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } }),
  ));
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  test('lists intake, capture queues, verifications, cuts, the lease, the journal and the pool after a real night', async () => {
    const scanner = makeDevice('CATD-07-003-S1');
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: scanner.id,
          publicKey: scanner.publicKey,
          origin: 'CATD',
          boundTo: 'CATD-07-003',
          label: 'scanner',
          at: now,
        })
      ).ok,
    );
    await servesWholeCatalog(node.devices, catalog, 'CATD-07-003', { at: now });
    const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
    const sent = [];
    for (let i = 0; i < 4; i++) {
      const image = makePng(16, 16, { seed: i });
      sent.push({ image, pkg: packageFor(scanner, image, { sequence: i, claimedKey: keys[i]! }) });
    }
    for (const { image, pkg } of sent)
      assert.equal(
        (await postPackage(base, { text: pkg.text, signature: pkg.signature, image })).status,
        201,
      );
    // A retry (same receipt) and a forgery (refused: bad-signature).
    const first = sent[0]!;
    assert.equal(
      (await postPackage(base, { text: first.pkg.text, signature: first.pkg.signature, image: first.image }))
        .status,
      200,
    );
    assert.equal(
      (
        await postPackage(base, {
          text: first.pkg.text,
          signature: sent[1]!.pkg.signature,
          image: first.image,
        })
      ).status,
      401,
    );

    // Two capturistas: they agree on the first acta and differ on the others (verifications pending).
    const logins: OperatorLogin[] = [];
    for (const username of ['ana.captura', 'beto.captura']) {
      const added = await server.accounts.addOperator({
        username,
        name: username === 'ana.captura' ? 'Ana Secreta' : 'Beto Secreto',
        role: 'capturista',
        scope: 'catd:CATD-07-003',
        password: OPERATOR_PASSWORD,
        expiresAt: null,
        by: 'test',
      });
      assert.ok(added.ok);
      logins.push({ username, secret: fromBase32(added.value.totpSecret), address: '127.0.0.1' });
    }
    const client = new ConsoleClient([base]);
    try {
      const counts = { captures: 0, verifications: 0, emptyAnswers: 0 };
      const ana = await signIn(client, 0, logins[0]!, now);
      await captureShift(
        client,
        0,
        ana,
        (task) => fields(task, 10),
        counts,
        () => false,
      );
      now += 30_000;
      const beto = await signIn(client, 0, logins[1]!, now);
      let typed = 0;
      await captureShift(
        client,
        0,
        beto,
        (task) => fields(task, typed++ === 0 ? 10 : 11),
        counts,
        () => false,
      );
      assert.equal(counts.captures, 8);
    } finally {
      client.close();
    }

    // A cut, published a few minutes ago; the lease held by a scheduler on this host.
    now += 60_000;
    const cut = await publishCut(node, { cutTime: now });
    assert.ok(cut.ok, cut.ok ? '' : cut.message);
    now += 120_000;
    assert.ok(
      await acquireLease(node.leases, {
        name: CUT_BUILDER_LEASE,
        holder: `${hostname()}:4242:abcd`,
        now,
        ttlMs: 30_000,
      }),
    );

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const samples = parseExposition(text);
    assert.equal(value(samples, 'openprep_intake_packages_received_total', '{result="accepted"}'), 4);
    assert.equal(value(samples, 'openprep_intake_packages_received_total', '{result="retry"}'), 1);
    assert.equal(value(samples, 'openprep_intake_packages_refused_total', '{reason="bad-signature"}'), 1);
    assert.equal(value(samples, 'openprep_intake_packages_refused_total', '{reason="out-of-scope"}'), 0);
    assert.equal(value(samples, 'openprep_intake_duration_seconds_count', '{outcome="accepted"}'), 5);
    assert.equal(value(samples, 'openprep_intake_duration_seconds_count', '{outcome="refused"}'), 1);
    assert.equal(value(samples, 'openprep_quality_gate_verdicts_total', '{verdict="reject"}'), 0);
    assert.equal(value(samples, 'openprep_actas', '{status="verified"}'), 1);
    assert.equal(value(samples, 'openprep_actas', '{status="mismatch"}'), 3);
    assert.equal(value(samples, 'openprep_actas', '{status="received"}'), 0);
    assert.equal(value(samples, 'openprep_verifications_pending'), 3);
    assert.equal(value(samples, 'openprep_cuts_published'), 1);
    assert.equal(value(samples, 'openprep_cut_age_seconds'), 120);
    assert.equal(value(samples, 'openprep_cut_final_published'), 0);
    assert.equal(value(samples, 'openprep_intake_closed'), 0);
    assert.equal(value(samples, 'openprep_cut_lease_held'), 1);
    assert.equal(value(samples, 'openprep_cut_lease_holder_local'), 1);
    assert.ok(value(samples, 'openprep_journal_entries') > 8);
    assert.ok(value(samples, 'openprep_checkpoint_size') > 0, 'the cut signed a checkpoint');
    assert.equal(value(samples, 'openprep_db_info', '{kind="sqlite"}'), 1);
    assert.equal(value(samples, 'openprep_db_pool_max'), 1);
    assert.equal(value(samples, 'openprep_db_pool_connections', '{state="in_use"}'), 0);
    assert.equal(value(samples, 'openprep_db_pool_waiting'), 0);
    assert.equal(value(samples, 'openprep_db_commit_backlog'), 0);
    assert.equal(value(samples, 'openprep_metrics_store_errors_total'), 0);
    assert.ok(samples.has('process_resident_memory_bytes'));
    assert.ok(samples.has('nodejs_eventloop_lag_p99_seconds'));
    // Nothing that names a person, a device, a unit or a host.
    // Names and labels only: a sample's value may hold any digits (memory, CPU seconds).
    const namesAndLabels = text
      .split('\n')
      .map((line) => (line.startsWith('#') ? line : line.slice(0, line.lastIndexOf(' '))))
      .join('\n');
    for (const secret of ['ana.captura', 'Ana Secreta', 'CATD-07-003', hostname(), keys[0]!, ':4242:'])
      assert.ok(!namesAndLabels.includes(secret), `/metrics names ${secret}`);

    // Another holder takes the lease: counted as a change, and it is not on this host.
    now += 60_000;
    assert.ok(
      await acquireLease(node.leases, {
        name: CUT_BUILDER_LEASE,
        holder: 'otro-nodo:7:ef01',
        now,
        ttlMs: 30_000,
      }),
    );
    const later = parseExposition(await (await fetch(`${base}/metrics`)).text());
    assert.equal(value(later, 'openprep_cut_lease_holder_changes_total'), 1);
    assert.equal(value(later, 'openprep_cut_lease_holder_local'), 0);
    now += 60_000;
    const expired = parseExposition(await (await fetch(`${base}/metrics`)).text());
    assert.equal(value(expired, 'openprep_cut_lease_held'), 0);
  });

  test('from loopback through a proxy (a forwarding header), 403; any Authorization without a configured token, still loopback', async () => {
    const forwarded = await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(forwarded.status, 403);
    assert.doesNotMatch(await forwarded.text(), /openprep_/);
    assert.equal((await fetch(`${base}/metrics`, { headers: { forwarded: 'for=203.0.113.9' } })).status, 403);
    assert.equal((await fetch(`${base}/metrics`, { headers: { 'x-real-ip': '203.0.113.9' } })).status, 403);
    assert.equal(
      (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer whatever' } })).status,
      200,
    );
  });

  test('with loopback turned off, only the bearer token opens it; disabled, it is not served', async () => {
    const guarded = await serve(
      serveConfigSchema.parse({
        logLevel: 'silent',
        intake: { qualityGate: 'off' },
        metrics: { loopback: false, token: TOKEN },
      }),
    );
    try {
      assert.equal((await fetch(`${guarded.base}/metrics`)).status, 403);
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN])
        assert.equal((await fetch(`${guarded.base}/metrics`, { headers: { authorization } })).status, 403);
      const open = await fetch(`${guarded.base}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(open.status, 200);
      assert.match(await open.text(), /^# HELP /m);
      assert.ok(guarded.handle.routes.some((r) => r.url === '/metrics' && r.policy === 'metrics'));
    } finally {
      await guarded.handle.app.close();
    }
    const off = await serve(
      serveConfigSchema.parse({
        logLevel: 'silent',
        intake: { qualityGate: 'off' },
        metrics: { enabled: false },
      }),
    );
    try {
      assert.equal((await fetch(`${off.base}/metrics`)).status, 404);
    } finally {
      await off.handle.app.close();
    }
  });

  test("the gate's verdicts and reasons are counted, and a code outside the closed sets counts as other", async () => {
    const metrics = new CenterMetrics({ refusalReasons: ['conflict'], processMetrics: false });
    metrics.judged({ verdict: 'accept', reasons: [], qr: null });
    metrics.judged({
      verdict: 'reject',
      reasons: [
        { code: 'blurry', message: 'borrosa' },
        { code: 'CATD-07-003 <script>', message: '' },
      ],
      qr: null,
    });
    metrics.judged({ verdict: 'review', reasons: [{ code: 'qr_mismatch', message: '' }], qr: 'x' });
    metrics.refused('conflict', 0.01);
    metrics.refused('made-up-by-an-attacker', 0.01);
    const samples = parseExposition(await metrics.registry.metrics());
    assert.equal(value(samples, 'openprep_quality_gate_verdicts_total', '{verdict="accept"}'), 1);
    assert.equal(value(samples, 'openprep_quality_gate_verdicts_total', '{verdict="reject"}'), 1);
    assert.equal(value(samples, 'openprep_quality_gate_verdicts_total', '{verdict="review"}'), 1);
    assert.equal(
      value(samples, 'openprep_quality_gate_reasons_total', '{verdict="reject",reason="blurry"}'),
      1,
    );
    assert.equal(
      value(samples, 'openprep_quality_gate_reasons_total', '{verdict="reject",reason="other"}'),
      1,
    );
    assert.equal(
      value(samples, 'openprep_quality_gate_reasons_total', '{verdict="review",reason="qr_mismatch"}'),
      1,
    );
    assert.equal(value(samples, 'openprep_intake_packages_refused_total', '{reason="conflict"}'), 1);
    assert.equal(value(samples, 'openprep_intake_packages_refused_total', '{reason="other"}'), 1);
    assert.ok(![...samples.keys()].some((name) => name.startsWith('process_')));
  });

  test('a short or spaced token is refused at start', () => {
    for (const token of ['short', `${'x'.repeat(20)} ${'y'.repeat(20)}`])
      assert.equal(serveConfigSchema.safeParse({ metrics: { token } }).success, false);
  });
});
