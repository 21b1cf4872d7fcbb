/**
 * The boxes of an acta as a keyboard-only form: digits fill the box, `i` marks Ilegible and `s`
 * Sin dato, Enter goes to the next box (and on the last one sends), Shift+Enter or ↑ goes
 * back. The box being typed is repeated large above the form, beside its label.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { applyKey, type Box, type BoxValue, shown } from './entry.ts';
import { useWords } from './words.ts';

export function BoxForm(props: {
  /** The acta being typed: focus returns to its first box only when it changes. */
  readonly recordId: string;
  readonly boxes: readonly Box[];
  readonly values: ReadonlyMap<string, BoxValue>;
  readonly onChange: (key: string, value: BoxValue) => void;
  readonly onSubmit: () => void;
  /** Per box, what to show beside it (the two captures, on the verification screen). */
  readonly beside?: (box: Box) => preact.ComponentChildren;
  readonly highlighted?: ReadonlySet<string>;
  readonly focusFirst?: string;
  readonly submitLabel: string;
  readonly busy: boolean;
}) {
  const { boxes, values } = props;
  const words = useWords();
  const inputs = useRef<(HTMLInputElement | null)[]>([]);
  const [current, setCurrent] = useState(0);
  useEffect(() => {
    const first =
      props.focusFirst === undefined
        ? 0
        : Math.max(
            0,
            boxes.findIndex((b) => b.key === props.focusFirst),
          );
    inputs.current[first]?.focus();
  }, [props.recordId]);
  const move = (to: number) => inputs.current[Math.max(0, Math.min(boxes.length - 1, to))]?.focus();
  const box = boxes[current];
  return (
    <form
      class="boxes"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <div class="current-box" aria-hidden="true">
        <span class="current-label">{box?.label}</span>
        <span class="current-value">{shown(values.get(box?.key ?? '') ?? '') || '—'}</span>
      </div>
      <table class="box-table">
        <tbody>
          {boxes.map((b, i) => (
            <tr key={b.key} class={props.highlighted?.has(b.key) ? 'differs' : undefined} data-box={b.key}>
              <th scope="row">
                <label for={`box-${i}`}>
                  {b.label} {b.column !== null && <span class="column-id">{b.column}</span>}
                </label>
              </th>
              {props.beside?.(b)}
              <td>
                <input
                  id={`box-${i}`}
                  ref={(el) => {
                    inputs.current[i] = el;
                  }}
                  class="box"
                  inputMode="numeric"
                  autoComplete="off"
                  spellcheck={false}
                  value={shown(values.get(b.key) ?? '')}
                  aria-describedby="box-keys"
                  onFocus={() => setCurrent(i)}
                  onInput={(event) => {
                    // Typed text that skipped keydown (a paste, a phone keyboard): keep its digits.
                    const target = event.target as HTMLInputElement;
                    const digits = target.value
                      .replace(/\D/g, '')
                      .replace(/^0+(?=\d)/, '')
                      .slice(0, 5);
                    props.onChange(b.key, digits);
                  }}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter') {
                      event.preventDefault();
                      if (event.shiftKey) move(i - 1);
                      else if (i === boxes.length - 1) props.onSubmit();
                      else move(i + 1);
                      return;
                    }
                    if (event.key === 'ArrowUp') return move(i - 1);
                    if (event.key === 'ArrowDown') return move(i + 1);
                    if (event.ctrlKey || event.metaKey || event.altKey) return;
                    const next = applyKey(values.get(b.key) ?? '', event.key);
                    if (next === null) return;
                    event.preventDefault();
                    props.onChange(b.key, next);
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p id="box-keys" class="keys-help">
        {words.keysNumbers} · <kbd>i</kbd> Ilegible · <kbd>s</kbd> Sin dato · <kbd>{words.keyEnter}</kbd>{' '}
        {words.keysNext} · <kbd>{words.keyShift}</kbd>+<kbd>{words.keyEnter}</kbd> {words.keysPrevious}
      </p>
      <button type="submit" disabled={props.busy}>
        {props.submitLabel}
      </button>
    </form>
  );
}
