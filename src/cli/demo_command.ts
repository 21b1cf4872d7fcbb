import process from 'node:process';
import { z } from 'zod';
import { runDemo } from '../demo/demo.ts';
import { defaultDataDir } from '../center/data_dir.ts';
import { parseCommandArgs, seedOption } from './args.ts';

export async function runDemoCommand(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      scale: { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      'until-close': { type: 'boolean' },
      'no-serve': { type: 'boolean' },
      'no-images': { type: 'boolean' },
      port: { type: 'string' },
      speed: { type: 'string' },
      'cut-every': { type: 'string' },
      'people-every': { type: 'string' },
      reset: { type: 'boolean' },
    },
    z.strictObject({
      scale: z.enum(['tiny', 'state']).default('state'),
      seed: seedOption,
      data: z.string().min(1).default(defaultDataDir()),
      'until-close': z.boolean().default(false),
      'no-serve': z.boolean().default(false),
      'no-images': z.boolean().default(false),
      port: z.coerce
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(Number(process.env['OPENPREP_PORT'] ?? 8080)),
      speed: z.coerce.number().min(0).max(100_000).default(30),
      'cut-every': z.coerce.number().int().min(1).max(20).default(20),
      'people-every': z.coerce.number().int().min(0).max(1000).default(3),
      reset: z.boolean().default(false),
    }),
  );
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
    peopleEvery: o['people-every'],
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
