/**
 * Progress of long work on the terminal: one line rewritten in place on a TTY (at most ~8
 * times a second, so a fast loop does not spend its time painting), and plain lines when the
 * output is a file or a pipe (a log or CI), written only when the share done has moved by a
 * step or a while has passed, so a log of a long run stays readable.
 */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** What is being done, e.g. "catalog generate". */
  readonly label: string;
  /** The unit counted, e.g. "casillas". */
  readonly unit: string;
  /** How many there are; omit when unknown (then no % nor ETA). */
  readonly total?: number;
  /** Plain mode: a line every this many percentage points at most (default 10). */
  readonly stepPercent?: number;
  /** Plain mode: a line at least this often while work moves (default 30 s). */
  readonly everyMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

export interface Progress {
  /** How many are done so far, and an optional short detail (e.g. a file name). */
  update(done: number, detail?: string): void;
  /** The last line, kept on the terminal, with the elapsed time. */
  finish(detail?: string): void;
  /** A line of its own (a log line): above the progress line on a terminal, which is drawn again. */
  note(line: string): void;
}

const TTY_INTERVAL_MS = 125;

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The line for `done` of `total` after `elapsedMs`: count, %, and an ETA once it means something. */
export function progressLine(
  options: Pick<ProgressOptions, 'label' | 'unit' | 'total'>,
  done: number,
  elapsedMs: number,
  detail?: string,
): string {
  const { label, unit, total } = options;
  const parts = [`${label}: ${done.toLocaleString('en-US')}`];
  if (total !== undefined && total > 0) {
    parts[0] += ` / ${total.toLocaleString('en-US')} ${unit}`;
    parts.push(`${((100 * done) / total).toFixed(1)} %`);
    if (done > 0 && done < total && elapsedMs >= 1000) {
      parts.push(`ETA ${formatDuration((elapsedMs / done) * (total - done))}`);
    }
  } else parts[0] += ` ${unit}`;
  parts.push(formatDuration(elapsedMs));
  if (detail !== undefined && detail !== '') parts.push(detail);
  return parts.join(' · ');
}

export function createProgress(stream: ProgressStream, options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tty = stream.isTTY === true;
  const step = options.stepPercent ?? 10;
  const everyMs = options.everyMs ?? 30_000;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let lastShare = Number.NEGATIVE_INFINITY;
  let lastDone = -1;
  let latest = 0;
  let finished = false;
  /** What the terminal's progress line shows now ('' before the first). */
  let shown = '';

  const fit = (line: string) => {
    const width = (stream.columns ?? 80) - 1;
    return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
  };

  return {
    update(done, detail) {
      if (finished) return;
      latest = done;
      const t = now();
      if (tty) {
        if (t - lastWrite < TTY_INTERVAL_MS) return;
        lastWrite = t;
        shown = fit(progressLine(options, done, t - started, detail));
        stream.write(`\r\x1b[2K${shown}`);
        return;
      }
      const share =
        options.total !== undefined && options.total > 0 ? (100 * done) / options.total : undefined;
      const stepped = share !== undefined && share - lastShare >= step;
      const timed = done !== lastDone && t - lastWrite >= everyMs;
      if (!stepped && !timed) return;
      lastWrite = t;
      lastDone = done;
      if (share !== undefined) lastShare = share - (share % step);
      stream.write(`${progressLine(options, done, t - started, detail)}\n`);
    },
    finish(detail) {
      if (finished) return;
      finished = true;
      const line = progressLine(options, options.total ?? latest, now() - started, detail);
      stream.write(tty ? `\r\x1b[2K${fit(line)}\n` : `${line}\n`);
    },
    note(line) {
      if (!tty || finished || shown === '') stream.write(`${line}\n`);
      else stream.write(`\r\x1b[2K${line}\n${shown}`);
    },
  };
}
