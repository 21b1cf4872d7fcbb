import process from 'node:process';
import { runDemo } from '../demo/demo.ts';
import { parseCommandArgs } from './args.ts';
import { demo } from './commands.ts';

export async function runDemoCommand(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, demo.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep demo: ${parsed.message}\n`);
    return 2;
  }
  const o = parsed.value.options;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
    log: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
  });
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
  return failedVerifications === 0 ? 0 : 1;
}
