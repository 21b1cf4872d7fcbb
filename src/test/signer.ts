/** `openprep signer` in a process of its own, for the tests of a center on a signer service. */
import { type ChildProcess, spawn } from 'node:child_process';
import process from 'node:process';
import { MAIN } from './center_process.ts';

/** Starts the signer on `keyFile` and `socket` (`extra`: e.g. --create-key); resolves once it listens. */
export function startSigner(
  keyFile: string,
  socket: string,
  extra: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, 'signer', '--key', keyFile, '--socket', socket, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('"event":"listening"')) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`signer exited (${code}) before listening:\n${text}`)));
  });
}

/** kill -9, and waits for the process to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
