/**
 * `openprep <command> …` — the command line. Every argument is parsed at this boundary;
 * commands return an exit code and never throw for expected failures.
 */
import process from 'node:process';
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
