/**
 * What a node says it runs: the configuration's hash without its secrets, DEPLOYMENT journaled
 * once and again when a fact changes, and `GET /.well-known/openprep-release` over real HTTP —
 * here from a development checkout (no release manifest): release null, not attested. The
 * attested case, on a real built release, is src/release/attested_release.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CenterNode, initCenter } from '../center/node.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { typedJournal } from '../test/journal.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';
import {
  configSha256,
  Deployment,
  type DeploymentFacts,
  deploymentFacts,
  withoutSecrets,
} from './deployment.ts';

const TOKEN = 'a-metrics-token-that-is-long-enough-0123456789';
const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => (now += 1000);

describe('the configuration hash', () => {
  test('leaves the secrets out: the metrics token and a webhook query never reach the hash', () => {
    const config = serveConfigSchema.parse({ metrics: { token: TOKEN } });
    const other = serveConfigSchema.parse({ metrics: { token: `${TOKEN}-other` } });
    assert.equal(configSha256(config), configSha256(other));
    assert.equal(configSha256(config), configSha256(serveConfigSchema.parse({})));
    assert.ok(!canonicalJson(withoutSecrets(config)).includes(TOKEN));
    assert.equal(config.metrics.token, TOKEN, 'the configuration itself is left alone');
    const hooked = (query: string) =>
      serveConfigSchema.parse({
        alerts: {
          webhook: { url: `https://soc.example.mx/hook${query}`, secretFile: '/etc/openprep/hook.key' },
        },
      });
    assert.equal(configSha256(hooked('?key=s3cret')), configSha256(hooked('')));
    assert.ok(!canonicalJson(withoutSecrets(hooked('?key=s3cret'))).includes('s3cret'));
  });

  test('changes with any setting', () => {
    assert.notEqual(
      configSha256(serveConfigSchema.parse({})),
      configSha256(serveConfigSchema.parse({ checkpointSeconds: 5 })),
    );
    assert.match(configSha256(serveConfigSchema.parse({})), /^[0-9a-f]{64}$/);
  });
});

describe('a development checkout, serving', () => {
  let work: string;
  let node: CenterNode;
  let server: ServerHandle;
  let base: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-deployment-'));
    const created = await initCenter({ root: work, election, catalog, clock });
    assert.ok(created.ok);
    node = created.value;
    const config = serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } });
    server = await buildServer({ node, config, clock });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server.app.close();
    await node.close();
    await rm(work, { recursive: true, force: true });
  });

  test('GET /.well-known/openprep-release: no release, not attested, briefly cacheable', async () => {
    const answer = await fetch(`${base}/.well-known/openprep-release`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'public, max-age=30');
    const document = (await answer.json()) as Record<string, unknown>;
    assert.equal(document['format'], 'openprep-deployment/1');
    assert.equal(document['release'], null);
    assert.equal(document['attested'], false);
    assert.equal(document['lastCheck'], null);
    assert.equal(document['node'], process.versions.node);
    assert.match(String(document['configSha256']), /^[0-9a-f]{64}$/);
    assert.ok(!Number.isNaN(Date.parse(String(document['startedAt']))));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^openprep_release_attested 0$/m);
    assert.match(metrics, /^openprep_release_checks_total\{result="failed"\} 0$/m);
  });

  test('DEPLOYMENT is journaled once, and again only when a fact changes', async () => {
    const config = serveConfigSchema.parse({});
    let facts: DeploymentFacts = deploymentFacts('serve', { kind: 'development' }, config, {
      OPENPREP_NODE_ID: 'nodo-1',
    });
    const deployment = new Deployment({
      journal: node.journal,
      clock,
      attestation: { kind: 'development' },
      facts: () => facts,
    });
    assert.equal(deployment.release, null);
    assert.equal(await deployment.journalIfChanged(), true);
    assert.equal(await deployment.journalIfChanged(), false);
    facts = { ...facts, host: 'otro-host' };
    assert.equal(await deployment.journalIfChanged(), true);
    const head = await node.journal.journalHead();
    const entries = (await node.journal.journalEntries(0, head.size))
      .map((bytes) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
      .filter((e) => e['type'] === 'DEPLOYMENT');
    assert.equal(entries.length, 2);
    assert.deepEqual(
      entries.map((e) => [e['command'], e['release'], e['signers'], e['nodeId']]),
      [
        ['serve', null, [], 'nodo-1'],
        ['serve', null, [], 'nodo-1'],
      ],
    );
    assert.equal(entries[1]!['host'], 'otro-host');
    assert.notEqual(entries[0]!['host'], 'otro-host');
    // Every entry of the type has exactly its schema's fields.
    assert.equal((await typedJournal(node.journal)).get('DEPLOYMENT'), 2);
  });
});
