/** `openprep witness init|run|clear`: an observer's witness of the center's journal (docs/witness.md). */
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseVerifierKey } from '../journal/note.ts';
import { startWitnessServer } from '../witness/server.ts';
import { forgetCosigned, initWitness, openWitness, readAlarms, writeAlarms } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
import { failWith, parseCommandArgs } from './args.ts';
import { witnessClear, witnessInit, witnessRun } from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function runWitnessInit(args: readonly string[]): Promise<number> {
  const fail = failWith('witness init');
  const parsed = parseCommandArgs(args, witnessInit.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const made = await initWitness(o.state, o.name);
  if (!made.ok) return fail(made.message, made.code === 'bad-state' ? 2 : 1);
  out(made.value.verifierKey);
  process.stderr.write(
    `witness ${o.name} made in ${o.state}; give the key above to the institute for the election definition's witnesses.keys\n`,
  );
  return 0;
}

export async function runWitnessRun(args: readonly string[]): Promise<number> {
  const fail = failWith('witness run');
  const parsed = parseCommandArgs(args, witnessRun.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const logKey = parseVerifierKey(o['log-key']);
  if (!logKey.ok) return fail(`--log-key: ${logKey.message}`, 2);
  const folder = await openWitness(o.state);
  if (!folder.ok) return fail(folder.message);
  const witness = new Witness({
    folder: folder.value,
    logKey: logKey.value,
    logKeyText: o['log-key'].trim(),
    center: o.center,
    say: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const loaded = await witness.load();
  if (!loaded.ok) return fail(loaded.message);
  let listening: Awaited<ReturnType<typeof startWitnessServer>> | null = null;
  if (o.listen !== undefined) {
    const split = o.listen.lastIndexOf(':');
    const host = o.listen.slice(0, split).replace(/^\[|\]$/g, '');
    try {
      listening = await startWitnessServer(witness, host, Number(o.listen.slice(split + 1)));
    } catch (error) {
      return fail(`--listen ${o.listen}: ${(error as Error).message}`);
    }
    process.stderr.write(`witness ${folder.value.signer.name} listening on ${listening.url}/\n`);
  }
  for (const alarm of witness.alarms)
    process.stderr.write(`ALARM ${alarm.kind} (since ${alarm.at}): ${alarm.message}; not cosigning\n`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  try {
    while (!controller.signal.aborted) {
      const outcome = await witness.poll();
      if (outcome.kind === 'unavailable')
        process.stderr.write(`${new Date().toISOString()} ${outcome.message}\n`);
      if (o.peer.length > 0) await witness.checkPeers(o.peer);
      await sleep(o.every * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  } finally {
    await new Promise<void>((resolve) =>
      listening === null ? resolve() : listening.server.close(() => resolve()),
    );
  }
  return witness.alarms.length > 0 ? 3 : 0;
}

export async function runWitnessClear(args: readonly string[]): Promise<number> {
  const fail = failWith('witness clear');
  const parsed = parseCommandArgs(args, witnessClear.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const folder = await openWitness(o.state);
  if (!folder.ok) return fail(folder.message);
  const alarms = await readAlarms(o.state);
  if (!alarms.ok) return fail(alarms.message);
  for (const alarm of alarms.value) out(`cleared: ${alarm.kind} at ${alarm.at}: ${alarm.message}`);
  await writeAlarms(o.state, []);
  if (o['forget-log']) {
    await forgetCosigned(o.state);
    out('forgot the last cosigned checkpoint: the next one seen is trusted as the first');
  }
  if (alarms.value.length === 0 && !o['forget-log']) out('no alarms');
  return 0;
}
