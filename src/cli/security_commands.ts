/**
 * `openprep decoy create|list`, `openprep export operators|devices` and `openprep leak check`:
 * the security team's decoys, canaries and leak checks (docs/security-operations.md). Run on
 * the center itself; the fingerprint key is derived from the secrets key there.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { Accounts } from '../auth/accounts.ts';
import { type CenterNode, openCenter } from '../center/node.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import { enrollDevice } from '../intake/devices.ts';
import type { DecoyRow, ExportKind } from '../security/decoys_port.ts';
import {
  deviceTable,
  type ExportTable,
  makeCanaries,
  mixIn,
  operatorTable,
  type Random,
  renderExport,
} from '../security/exports.ts';
import { FINGERPRINT_PURPOSE, fingerprint } from '../security/fingerprint.ts';
import { buildLeakIndex, checkLeak, LEAK_EXIT, parseDump } from '../security/leak_check.ts';
import { parseCommandArgs } from './args.ts';
import { decoyCreate, decoyList, exportOperators, leakCheck } from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep ${command}: ${message}\n`);
  return code;
};

const RANDOM: Random = { int: (n) => randomInt(n), hex: (bytes) => randomBytes(bytes).toString('hex') };

/** A leak claimed is read whole; past this it is refused rather than exhausting memory. */
const MAX_DUMP_BYTES = 64 * 1024 * 1024;

async function withCenter(
  command: string,
  data: string,
  work: (node: CenterNode, key: Buffer) => Promise<number>,
): Promise<number> {
  const node = await openCenter({ root: data, clock: Date.now });
  if (!node.ok) return fail(command, node.message);
  try {
    const box = await node.value.secrets();
    if (!box.ok) return fail(command, box.message);
    return await work(node.value, box.value.derive(FINGERPRINT_PURPOSE));
  } finally {
    await node.value.close();
  }
}

const decoyId = () => `dcy-${randomBytes(6).toString('hex')}`;

export async function runDecoyCreate(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, decoyCreate.options);
  if (!parsed.ok) return fail('decoy create', parsed.message, 2);
  const o = parsed.value.options;
  if ((o.kind === 'device') !== (o.out !== undefined))
    return fail(
      'decoy create',
      'give --out FILE (where the bait private key goes) for device decoys, and only for them',
      2,
    );
  return withCenter('decoy create', o.data, async (node, key) => {
    const at = node.clock();
    for (let i = 1; i <= o.count; i++) {
      const label = o.label;
      const decoy = (
        kind: DecoyRow['kind'],
        subject: string | null,
        values: readonly string[],
      ): DecoyRow => ({
        id: decoyId(),
        kind,
        label,
        subject,
        fingerprints: values.map((v) => fingerprint(key, v)),
        exportId: null,
        createdAt: at,
        by: 'cli',
      });
      if (o.kind === 'device') {
        const real = deviceTable(await node.devices.devices());
        const [canary] = makeCanaries('devices', real, 1, RANDOM, at);
        const [id = '', origin = 'CATD', boundTo = 'CATD-01'] = canary!.row;
        const pair = generateKeyPairSync('ed25519');
        const file = o.count === 1 ? o.out! : `${o.out}.${i}`;
        try {
          await writeFile(file, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
            mode: 0o600,
            flag: 'wx',
          });
        } catch (error) {
          return fail('decoy create', `cannot write ${file}: ${(error as Error).message}`);
        }
        const publicKey = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString(
          'base64',
        );
        const enrolled = await enrollDevice(node.devices, {
          id,
          publicKey,
          origin: origin === 'CASILLA' ? 'CASILLA' : 'CATD',
          boundTo,
          label: '',
          at,
        });
        if (!enrolled.ok) return fail('decoy create', enrolled.message);
        const row = decoy('device', id, [id, publicKey]);
        await node.decoys.transaction((tx) => tx.putDecoy(row));
        out(`decoy ${row.id}: device ${id} (${boundTo}), its private key in ${file}: plant it as bait`);
      } else {
        const real = operatorTable(await node.operators.operators());
        const [canary] = makeCanaries('operators', real, 1, RANDOM, at);
        const [id = '', username = '', name = '', role = 'capturista', scope = 'nacional'] = canary!.row;
        if (o.kind === 'record') {
          const row = decoy('record', null, [id, username]);
          await node.decoys.transaction((tx) => tx.putDecoy(row));
          out(
            `decoy ${row.id}: record ${id}\t${username}\t${name}\t${role}\t${scope} (shown once: plant it)`,
          );
          continue;
        }
        const accounts = await Accounts.open(node, node.clock);
        // A password nobody is told: the account can never sign in, only be tried.
        const added = await accounts.addOperator({
          username,
          name,
          role,
          scope,
          password: randomBytes(32).toString('base64url'),
          expiresAt: null,
          by: 'cli',
        });
        if (!added.ok) return fail('decoy create', added.message);
        const row = decoy('operator', added.value.operator.id, [added.value.operator.id, username]);
        await node.decoys.transaction((tx) => tx.putDecoy(row));
        out(
          `decoy ${row.id}: operator ${username} (${name}, ${role}, ${scope}): plant the name where an intruder would look`,
        );
      }
    }
    return 0;
  });
}

export async function runDecoyList(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, decoyList.options);
  if (!parsed.ok) return fail('decoy list', parsed.message, 2);
  return withCenter('decoy list', parsed.value.options.data, async (node) => {
    const decoys = await node.decoys.decoys();
    const operators = new Map((await node.operators.operators()).map((op) => [op.id, op.username]));
    if (parsed.value.options.json) {
      out(JSON.stringify({ decoys, exports: await node.decoys.exports() }));
      return 0;
    }
    for (const d of decoys) {
      const what =
        d.kind === 'operator'
          ? `operator ${operators.get(d.subject ?? '') ?? d.subject}`
          : d.kind === 'device'
            ? `device ${d.subject}`
            : 'record';
      out(
        `${d.id}\t${what}\t${d.exportId === null ? 'decoy' : `canary of ${d.exportId}`}\t${new Date(d.createdAt).toISOString()}\t${d.label}`,
      );
    }
    for (const e of await node.decoys.exports())
      out(
        `${e.id}\texport of ${e.kind} (${e.format}, ${e.rows} rows, ${e.canaries} canaries) to ${e.recipient}\t${new Date(e.at).toISOString()}\tby ${e.by}`,
      );
    return 0;
  });
}

export async function runExport(kind: ExportKind, args: readonly string[]): Promise<number> {
  const command = `export ${kind}`;
  const parsed = parseCommandArgs(args, exportOperators.options);
  if (!parsed.ok) return fail(command, parsed.message, 2);
  const o = parsed.value.options;
  return withCenter(command, o.data, async (node, key) => {
    const at = node.clock();
    const real: ExportTable =
      kind === 'operators'
        ? operatorTable(await node.operators.operators())
        : deviceTable(await node.devices.devices());
    const canaries = makeCanaries(kind, real, o.canaries, RANDOM, at);
    const table = mixIn(real, canaries, RANDOM);
    const exportId = `exp-${randomBytes(6).toString('hex')}`;
    const by = 'cli';
    // Registered before the file exists: a file whose canaries are not on record would name nobody.
    await node.decoys.transaction(async (tx) => {
      await tx.putExport({
        id: exportId,
        kind,
        format: o.format,
        recipient: o.to,
        by,
        at,
        rows: table.rows.length,
        canaries: canaries.length,
      });
      for (const [i, canary] of canaries.entries())
        await tx.putDecoy({
          id: `${exportId}-c${i + 1}`,
          kind: 'record',
          label: `canary ${i + 1} of export ${exportId} to ${o.to}`,
          subject: null,
          fingerprints: canary.identifying.map((v) => fingerprint(key, v)),
          exportId,
          createdAt: at,
          by,
        });
      await tx.appendJournal({
        type: 'EXPORT_ISSUED',
        at,
        exportId,
        kind,
        recipient: o.to,
        rows: table.rows.length,
        canaries: canaries.length,
        by,
      });
    });
    try {
      await writeFile(o.out, renderExport(table, o.format), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      return fail(
        command,
        `export ${exportId} is registered but ${o.out} cannot be written: ${(error as Error).message}`,
      );
    }
    out(`export ${exportId}: ${table.rows.length} ${kind} rows to ${o.out} for ${o.to}`);
    return 0;
  });
}

/** The files of a published cut whose values are public: its CSV, JSON and text files. */
async function publicTexts(folder: string): Promise<string[]> {
  const texts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file);
      else if (/\.(csv|json|txt)$/i.test(entry.name)) texts.push(await readFile(file, 'latin1'));
    }
  };
  await walk(folder);
  return texts;
}

/** The newest cut folder in the data folder's cuts (cut ids sort by time), if any. */
async function newestCut(cuts: string): Promise<string | null> {
  try {
    const folders = (await readdir(cuts, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    const newest = folders.sort().at(-1);
    return newest === undefined ? null : path.join(cuts, newest);
  } catch {
    return null;
  }
}

export async function runLeakCheck(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, leakCheck.options);
  if (!parsed.ok) return fail('leak check', parsed.message, 2);
  const o = parsed.value.options;
  const [file, ...extra] = parsed.value.positionals;
  if (file === undefined || extra.length > 0)
    return fail('leak check', 'give one file to check: openprep leak check <FILE>', 2);
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > MAX_DUMP_BYTES)
      return fail('leak check', `${file} is ${size} bytes; split it below ${MAX_DUMP_BYTES}`, 2);
    const bytes = await readFile(file);
    // UTF-8 unless it does not decode (an export opened and saved by a spreadsheet: Windows-1252).
    text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (text.includes('\uFFFD')) text = bytes.toString('latin1');
  } catch (error) {
    return fail('leak check', `cannot read ${file}: ${(error as Error).message}`, 2);
  }
  return withCenter('leak check', o.data, async (node, key) => {
    const cut = o.public ?? (await newestCut(node.paths.cuts));
    let cutTexts: string[] = [];
    if (cut !== null)
      try {
        cutTexts = await publicTexts(cut);
      } catch (error) {
        return fail('leak check', `cannot read the public cut ${cut}: ${(error as Error).message}`, 2);
      }
    const index = buildLeakIndex({
      key,
      operators: await node.operators.operators(),
      devices: await node.devices.devices(),
      sessionHashes: await node.decoys.sessionIdHashes(),
      decoys: await node.decoys.decoys(),
      exports: await node.decoys.exports(),
      publicTexts: [
        node.pipeline.catalogCsv,
        serializeElectionDefinition(node.pipeline.election),
        ...cutTexts,
      ],
    });
    const report = checkLeak(index, parseDump(text, file));
    out(JSON.stringify({ file, publicReference: cut, ...report }));
    if (!o.json) {
      process.stderr.write(`${report.summary}\n`);
      process.stderr.write(
        `records ${report.records}, matched ${report.recordsMatched} (ratio ${report.matchRatio.toFixed(3)}), public-only ${report.recordsPublicOnly}; internal values: ${report.internalMatches.operator} operator, ${report.internalMatches.device} device, ${report.internalMatches.session} session; decoys seen ${report.decoys.length}\n`,
      );
    }
    return LEAK_EXIT[report.verdict];
  });
}
