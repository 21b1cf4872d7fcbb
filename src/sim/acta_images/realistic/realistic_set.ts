/**
 * The labelled realistic set (`openprep quality evaluate --realistic`): the first `count` actas
 * esperadas of a generated catalog, each with a real night's values written on it
 * (src/sim/election_night.ts), photographed by a phone (~55%) or scanned at the CATD under one
 * condition: ~35% clean or benign (the gate must accept them), the rest a graded defect spread
 * evenly over the defects and severities 1–5, or a page condition (another document, the label
 * missing or damaged). Each acta draws from its own random stream, so a worker renders any share
 * of the set and skipping one changes nothing for the others.
 */
import { applicableColumns } from '../../../domain/actas_esperadas.ts';
import type { Catalog } from '../../../domain/catalog.ts';
import type { ElectionDefinition } from '../../../domain/election.ts';
import { trueActaFields } from '../../election_night.ts';
import { createRandom, type Random } from '../../random.ts';
import { actaContent, setActas } from '../acta_set.ts';
import {
  pageOf,
  BENIGN_CONDITIONS,
  type Condition,
  GRADED_CONDITIONS,
  PAGE_CONDITIONS,
  type Severity,
  stylesOf,
} from './conditions.ts';
import { photographRealistic, type RealisticImage } from './scene.ts';
import { renderCheckedRealisticPage } from './page.ts';
import type { DigitSplit } from './types.ts';

/** Share of the set that is clean or benign. */
export const BENIGN_SHARE = 0.35;
/** Share of the set photographed by a phone (the rest scanned at the CATD). */
export const PHONE_SHARE = 0.55;

/** How often each condition is drawn (the scheme of `drawCondition`). */
function conditionShares(): Map<Condition, number> {
  const shares = new Map<Condition, number>();
  const others = BENIGN_CONDITIONS.filter((c) => c !== 'clean');
  shares.set('clean', BENIGN_SHARE / 3);
  for (const c of others) shares.set(c, (BENIGN_SHARE * (2 / 3)) / others.length);
  const defects = [...GRADED_CONDITIONS, ...PAGE_CONDITIONS];
  for (const c of defects) shares.set(c, (1 - BENIGN_SHARE) / defects.length);
  return shares;
}

/**
 * Among conditions both styles have, the phone's share that makes the whole set PHONE_SHARE
 * phone shots: several conditions happen only to a phone (glare, hands, the table).
 */
export const PHONE_SHARE_WHERE_BOTH = (() => {
  let phoneOnly = 0;
  let both = 0;
  for (const [condition, share] of conditionShares()) {
    const styles = stylesOf(condition);
    if (styles.length === 2) both += share;
    else if (styles[0] === 'phone') phoneOnly += share;
  }
  return Math.min(1, Math.max(0, (PHONE_SHARE - phoneOnly) / both));
})();

/** The condition, severity and style of one acta of the set, from its own stream. */
export function drawCondition(random: Random): {
  condition: Condition;
  severity: Severity | null;
  style: 'phone' | 'scanner';
} {
  let condition: Condition;
  if (random.chance(BENIGN_SHARE))
    // A third of the benign share is plain clean; the rest spread over the benign conditions.
    condition = random.chance(1 / 3) ? 'clean' : random.pick(BENIGN_CONDITIONS.filter((c) => c !== 'clean'));
  else condition = random.pick([...GRADED_CONDITIONS, ...PAGE_CONDITIONS]);
  const severity =
    condition === 'clean' || (PAGE_CONDITIONS as readonly string[]).includes(condition)
      ? null
      : (random.int(1, 5) as Severity);
  const styles = stylesOf(condition);
  const style =
    styles.length === 1 ? styles[0]! : random.chance(PHONE_SHARE_WHERE_BOTH) ? 'phone' : 'scanner';
  return { condition, severity, style };
}

export async function* renderRealisticSet(input: {
  readonly catalog: Catalog;
  readonly election: ElectionDefinition;
  readonly count: number;
  readonly seed: number;
  /** Calibration and tuning use `train`, evaluation `test` (never the same handwriting). */
  readonly digitSplit: DigitSplit;
  /** Renders only the actas at these positions of the set (workers share a set this way); all by default. */
  readonly select?: (index: number) => boolean;
}): AsyncGenerator<RealisticImage & { readonly index: number; readonly contest: string }> {
  for (const { index, contest, esperada } of setActas(input)) {
    const random = createRandom(`realistic:${input.seed}:${esperada.actaKey}`);
    const fields = trueActaFields({
      random: random.fork('values'),
      casilla: esperada.casilla,
      columns: applicableColumns(contest, esperada.casilla),
    });
    const { condition, severity, style } = drawCondition(random.fork('condition'));
    // The digits were checked before the set began (the quality commands call loadDigits).
    const page = await renderCheckedRealisticPage(actaContent(input.catalog, contest, esperada, fields), {
      seed: input.seed,
      ...pageOf(condition),
      digitSplit: input.digitSplit,
    });
    const image = await photographRealistic(page, { style, condition, severity, seed: input.seed });
    yield { ...image, index, contest: contest.id };
  }
}
