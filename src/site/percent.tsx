import { formatPercent, type Words } from './i18n.ts';

/**
 * A percentage, or "—" where nothing is counted yet (a share of nothing is no figure, and
 * "0.0000 %" would read as one), said in words to screen readers.
 */
export function Percent(props: { words: Words; text: string; counted: boolean }) {
  if (!props.counted)
    return (
      <span class="pct none" title={props.words.nothingCounted}>
        <span aria-hidden="true">—</span>
        <span class="visually-hidden">{props.words.nothingCounted}</span>
      </span>
    );
  return <span class="pct">{formatPercent(props.text)}</span>;
}
