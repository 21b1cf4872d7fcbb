import process from 'node:process';
import { runDemo } from '../demo/demo.ts';
import { parseCommandArgs } from './args.ts';
import { demo } from './commands.ts';
import { createProgress, type Progress } from './progress.ts';

export async function runDemoCommand(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, demo.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep demo: ${parsed.message}\n`);
    return 2;
  }
  const o = parsed.value.options;
  const controller = new AbortController();
  // In an object: set from the demo's callbacks, which the compiler does not follow.
  const shown: { progress: Progress | null; detail: string } = { progress: null, detail: '' };
  const say = (line: string) =>
    shown.progress === null ? process.stdout.write(`${line}\n`) : shown.progress.note(line);
  // The first Ctrl-C finishes the step in hand (an acta being registered, a cut being published
  // and verified) and closes everything; a second stops at once — the journal's writes are
  // durable and append-only, so what is in it stays whole either way.
  let interrupts = 0;
  const stop = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      say(
        `${signal}: finishing the step in hand (the acta being registered, or the cut being published and verified), then closing the journal and the servers — ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once.`,
      );
      controller.abort();
      return;
    }
    process.stderr.write(`${signal}: stopping at once; the journal keeps every entry written so far.\n`);
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const result = await runDemo({
    root: o.data,
    scale: o.scale,
    seed: o.seed,
    untilClose: o['until-close'],
    serve: !o['no-serve'],
    port: o.port,
    speed: o.speed,
    cutEvery: o['cut-every'],
    reset: o.reset,
    images: !o['no-images'],
    peopleEvery: o['people-every'],
    readerAssist: o['reader-assist'],
    log: say,
    progress: (state) => {
      shown.progress ??= createProgress(process.stdout, {
        label: 'night',
        unit: 'simulated min',
        total: state.nightMinutes,
        stepPercent: 5,
      });
      const percent = (n: number) => `${((100 * n) / Math.max(1, state.expected)).toFixed(1)} %`;
      shown.detail = `${state.simulatedTime} · received ${percent(state.received)} · captured ${Number(state.captured).toFixed(1)} % · counted ${Number(state.counted).toFixed(1)} % · cuts ${state.cuts}/${state.totalCuts}`;
      shown.progress.update(state.simulatedMinutes, shown.detail);
    },
    signal: controller.signal,
  });
  // Stopped early, the line stays where the night was (finish() would say the whole night).
  if (!controller.signal.aborted) shown.progress?.finish(shown.detail);
  else if (shown.progress !== null && process.stdout.isTTY) process.stdout.write('\n');
  shown.progress = null;
  if (!result.ok) {
    process.stderr.write(`openprep demo: ${result.message}\n`);
    return 1;
  }
  const { cuts, verified, failedVerifications, server } = result.value;
  process.stdout.write(
    `${cuts} cuts published, ${verified} verified, ${failedVerifications} failed verification.\n`,
  );
  if (server !== null && !controller.signal.aborted) {
    process.stdout.write(
      `Still serving the site at http://127.0.0.1:${o.port}/ and the console at http://localhost:${o.port + 1}/consola/ — Ctrl-C to stop.\n`,
    );
    await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
  }
  await result.value.close();
  if (controller.signal.aborted) process.stdout.write('Stopped; the journal and the cuts are whole.\n');
  return failedVerifications !== 0 ? 1 : controller.signal.aborted ? 130 : 0;
}
