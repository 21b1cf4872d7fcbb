/**
 * The report: the numbered checks of docs/verification.md, what each one found, and the text
 * `openprep verify` prints. Failures are collected per check and the first five shown, so a
 * damaged cut names every check it fails without one bad file drowning the rest.
 */

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly cut: string;
  readonly checks: readonly CheckResult[];
  /**
   * The release the manifest says built the cut: its version and SHA-256, null when a
   * development checkout built it; absent when the manifest could not be read or is older
   * than the field. Information, not a check: compare the hash with the release you built.
   */
  readonly release?: CutReleaseNamed | null;
}

export interface CutReleaseNamed {
  readonly version: string;
  readonly sha256: string;
}

export const CHECK_TITLES = {
  V01: 'manifest signature',
  V02: 'drill or live mode',
  V03: 'manifest well-formed',
  V04: 'file sizes and hashes',
  V05: 'journal checkpoint',
  V06: 'acta Merkle roots',
  V07: 'results CSV layout',
  V08: 'acta rows follow the PREP rules',
  V09: 'CSV header aggregates',
  V10: 'site JSON aggregates',
  V11: 'catalog and election definition',
  V12: 'consistency with the previous cut',
  V13: 'acta image hashes',
  V14: 'zip contents',
  V15: 'candidaturas CSV',
  V16: 'signed latest pointer',
} as const;
export type CheckId = keyof typeof CHECK_TITLES;

/** Where a room records what it finds: a report's `Checks`, whichever checks it lists. */
export interface Failures {
  fail(id: CheckId, detail: string): void;
  failed(id: CheckId): boolean;
}

/** The checks a report lists, in order, with their titles: the full verifier's, or the browser's few. */
export type CheckTitles<Id extends string> = Readonly<Record<Id, string>>;

/** Collects each check's failures, then its verdict; `Id` is the set of checks the report lists. */
export class Checks<Id extends string = CheckId> {
  readonly results = new Map<Id, CheckResult>();
  readonly #failures = new Map<Id, string[]>();
  readonly #titles: CheckTitles<Id>;

  constructor(titles: CheckTitles<Id> = CHECK_TITLES as unknown as CheckTitles<Id>) {
    this.#titles = titles;
  }

  /** Every failure recorded so far, to carry them across a worker boundary. */
  failures(): [Id, string][] {
    return [...this.#failures].flatMap(([id, details]) => details.map((d): [Id, string] => [id, d]));
  }

  fail(id: Id, detail: string): void {
    const list = this.#failures.get(id) ?? [];
    list.push(detail);
    this.#failures.set(id, list);
  }

  failed(id: Id): boolean {
    return (this.#failures.get(id)?.length ?? 0) > 0;
  }

  finish(id: Id, passDetail: string): void {
    const title = this.#titles[id];
    const failures = this.#failures.get(id);
    if (failures !== undefined && failures.length > 0) {
      const shown = failures.slice(0, 5).join('; ');
      const more = failures.length > 5 ? ` (and ${failures.length - 5} more)` : '';
      this.results.set(id, { id, title, status: 'fail', detail: shown + more });
    } else this.results.set(id, { id, title, status: 'pass', detail: passDetail });
  }

  /**
   * Runs one check's work; an exception no check expected (a bug met by hostile input, a disk
   * that fails mid-read) becomes a FAIL of that check, never a crash of the verifier, and the
   * other checks still run. `fallback` stands in for the work's result.
   */
  async attempt<T>(id: Id, fallback: T, work: () => Promise<T> | T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.fail(id, `${id} stopped on an unexpected error: ${errorMessage(error)}`);
      this.finish(id, '');
      return fallback;
    }
  }

  skip(id: Id, detail: string): void {
    this.results.set(id, { id, title: this.#titles[id], status: 'skip', detail });
  }

  report(cut: string, release?: CutReleaseNamed | null): VerifyReport {
    const checks = (Object.keys(this.#titles) as Id[]).map((id): CheckResult => {
      // A failure recorded without its verdict (a check cut short) still fails the report.
      if (this.failed(id) && this.results.get(id)?.status !== 'fail') this.finish(id, '');
      return (
        this.results.get(id) ?? {
          id,
          title: this.#titles[id],
          status: 'skip' as const,
          detail: 'not reached',
        }
      );
    });
    return {
      ok: checks.every((c) => c.status !== 'fail'),
      cut,
      checks,
      ...(release === undefined ? {} : { release }),
    };
  }
}

/** An exception's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function formatReport(report: VerifyReport): string {
  const lines = report.checks.map(
    (check) =>
      `${check.id} ${check.status.toUpperCase().padEnd(4)} ${check.title}${check.detail ? `: ${check.detail}` : ''}`,
  );
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  if (report.release !== undefined) lines.push(releaseLine(report.release));
  lines.push(failed.length === 0 ? `OK ${report.cut}` : `FAILED ${failed.join(', ')} ${report.cut}`);
  return `${lines.join('\n')}\n`;
}

/** The report's release line: which code built the cut, as its manifest says. */
export function releaseLine(release: CutReleaseNamed | null): string {
  return release === null
    ? 'release: none (built by a development checkout, not an attested release)'
    : `release: ${release.version} sha256 ${release.sha256} (compare with the release you build from its source)`;
}
