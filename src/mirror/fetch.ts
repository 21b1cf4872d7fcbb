/**
 * Downloads from a center or a peer, which a mirror treats as hostile: every body is capped
 * (the manifest states each file's size, so a file may not be one byte longer), every request
 * has a time-out, and a file is written only at a path checked to stay inside its folder.
 * What goes wrong is either the network's (`transient`: retried at the next poll, no verdict)
 * or the bytes' (`too-large`: more than was signed for — a verdict on what was served).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { safeRelativePath } from '../platform/web/paths.ts';

export type FetchError = 'transient' | 'too-large';

/** `relative` (a checked, `/`-separated path) under `base` (which ends with `/`), each segment encoded. */
export function urlOf(base: string, relative: string): string {
  return new URL(relative.split('/').map(encodeURIComponent).join('/'), base).href;
}

/** A base URL as the mirror keeps it: http(s), no query or fragment, ending with `/`. */
export function parseBaseUrl(text: string): Result<string, 'bad-url'> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return err('bad-url', `${text} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return err('bad-url', `${text} is not an http or https URL`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    return err('bad-url', `${text} carries a query, fragment or credentials`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return ok(url.href);
}

async function open(url: string, timeoutMs: number): Promise<Result<Response, 'transient'>> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (response.status !== 200) {
      await response.body?.cancel();
      return err('transient', `${url} answered ${response.status}`);
    }
    return ok(response);
  } catch (error) {
    return err('transient', `${url}: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const base = error instanceof Error ? error.message : String(error);
  return cause?.code !== undefined ? `${base} (${cause.code})` : base;
}

/** The body of `url`, refused past `maxBytes`. */
export async function fetchBounded(
  url: string,
  maxBytes: number,
  timeoutMs: number,
): Promise<Result<Buffer, FetchError>> {
  const opened = await open(url, timeoutMs);
  if (!opened.ok) return opened;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of opened.value.body ?? []) {
      total += chunk.length;
      if (total > maxBytes) {
        await opened.value.body?.cancel().catch(() => undefined);
        return err('too-large', `${url} is longer than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    return err('transient', `${url}: ${describe(error)}`);
  }
  return ok(Buffer.concat(chunks));
}

/**
 * Streams `url` into `folder/relative`, refused past `maxBytes` (the partial file removed).
 * A shorter body is written as it came: the verifier's hash check is what judges it.
 */
export async function downloadFile(
  url: string,
  folder: string,
  relative: string,
  maxBytes: number,
  timeoutMs: number,
): Promise<Result<number, FetchError | 'unsafe-path'>> {
  const target = path.resolve(folder, ...relative.split('/'));
  if (!safeRelativePath(relative) || !target.startsWith(path.resolve(folder) + path.sep))
    return err('unsafe-path', `${relative} is not a path inside the cut`);
  // A name listed twice, or both as a file and as a folder, cannot be written: the manifest's
  // fault, refused like a path outside the folder.
  const made = await mkdir(path.dirname(target), { recursive: true }).then(
    () => null,
    (error: NodeJS.ErrnoException) => error.code ?? 'error',
  );
  if (made !== null) return err('unsafe-path', `${relative} cannot be written (${made})`);
  const opened = await open(url, timeoutMs);
  if (!opened.ok) return opened;
  const out = createWriteStream(target, { flags: 'wx' });
  let writeError: string | null = null;
  const finished = new Promise<void>((resolve) => {
    out.once('finish', resolve);
    out.once('error', (error: NodeJS.ErrnoException) => {
      writeError = error.code ?? error.message;
      resolve();
    });
  });
  let total = 0;
  let failure: Result<number, FetchError> | null = null;
  try {
    for await (const chunk of opened.value.body ?? []) {
      total += chunk.length;
      if (total > maxBytes) {
        await opened.value.body?.cancel().catch(() => undefined);
        failure = err('too-large', `${relative} is longer than the ${maxBytes} bytes the manifest signs`);
        break;
      }
      if (writeError !== null) break;
      if (!out.write(chunk))
        await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), finished]);
    }
  } catch (error) {
    failure = err('transient', `${url}: ${describe(error)}`);
  }
  out.end();
  await finished;
  if (writeError !== null) {
    await opened.value.body?.cancel().catch(() => undefined);
    return err('unsafe-path', `${relative} cannot be written (${writeError})`);
  }
  if (failure !== null) {
    await rm(target, { force: true });
    return failure;
  }
  return ok(total);
}
