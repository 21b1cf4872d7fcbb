/**
 * `openprep access review`: the access review of a center (docs/security-operations.md,
 * "Access review"), as text or JSON, with its SHA-256; and `--certify`, which signs the review
 * in the journal only while the report is still the one with that hash.
 *
 * Each report printed is also kept in the data folder (`access-reviews/<sha256>.json`): when a
 * certification is refused, the copy is what tells the reviewer what changed since they read it,
 * and when it is signed, the copy is the signed report itself.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { openCenter } from '../center/node.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { type AccessReport, reportText } from '../security/access_review.ts';
import {
  certifyAccessReview,
  parseAccessReport,
  reportSha256,
  reviewAccess,
} from '../security/access_review_service.ts';
import { parseCommandArgs } from './args.ts';
import { accessReview } from './commands.ts';

const out = (text: string) => process.stdout.write(text);
const fail = (message: string, code = 1): number => {
  process.stderr.write(`openprep access review: ${message}\n`);
  return code;
};

/** The kept copy of the report with this hash, if there is one and it is that report. */
async function keptReport(folder: string, sha256: string): Promise<AccessReport | null> {
  let text: string;
  try {
    text = await readFile(path.join(folder, `${sha256}.json`), 'utf8');
  } catch {
    return null;
  }
  const report = parseAccessReport(text);
  return report !== null && reportSha256(report) === sha256 ? report : null;
}

export async function runAccessReview(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, accessReview.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  if (parsed.value.positionals.length > 0)
    return fail(`unexpected argument ${parsed.value.positionals[0]}`, 2);
  if (o.certify !== undefined && o.by === undefined) return fail('--certify needs --by NAME: who signs', 2);
  if (o.certify === undefined && (o.by !== undefined || o.note !== undefined))
    return fail('--by and --note go with --certify SHA256', 2);
  const node = await openCenter({ root: o.data, clock: Date.now });
  if (!node.ok) return fail(node.message);
  try {
    const center = node.value;
    const folder = path.join(center.paths.root, 'access-reviews');
    const reviewed = o.certify === undefined ? null : await keptReport(folder, o.certify.toLowerCase());
    const now = center.clock();
    const report = await reviewAccess(
      center.access,
      {
        electionId: center.pipeline.election.id,
        utcOffsetMinutes: center.pipeline.election.utcOffsetMinutes,
        now,
        // The review being signed is the kept one: the same threshold and scope, whatever the flags say.
        dormantDays: reviewed?.dormantDays ?? o['dormant-days'],
        scope: reviewed?.scope ?? o.scope,
      },
      center.decoys,
    );
    if (o.certify !== undefined) {
      const signed = await certifyAccessReview(center.access, {
        current: report,
        reviewedSha256: o.certify,
        reviewed,
        by: o.by!,
        note: o.note ?? null,
        at: now,
      });
      if (!signed.ok) {
        const changes = signed.changes ?? [];
        return fail(
          `not certified: ${signed.message}${changes.length > 0 ? `\n  ${changes.join('\n  ')}` : ''}`,
          signed.code === 'bad-hash' ? 2 : 1,
        );
      }
      out(
        `access review ${report.sha256} certified by ${o.by} (${report.summary.operators} operators, ${report.summary.devices} devices, ${report.summary.findings} findings; journal leaf ${signed.value.leafIndex})\n`,
      );
      return 0;
    }
    const json = stableJson(report);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `${report.sha256}.json`), json);
    const text =
      o.format === 'json'
        ? json
        : reportText(report, {
            sha256: report.sha256,
            generatedAt: now,
            utcOffsetMinutes: center.pipeline.election.utcOffsetMinutes,
          });
    if (o.out === undefined) out(text);
    else {
      await writeFile(o.out, text);
      out(`access review written to ${o.out}; SHA-256 ${report.sha256}\n`);
    }
    return 0;
  } finally {
    await node.value.close();
  }
}
