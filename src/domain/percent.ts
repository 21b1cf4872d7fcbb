/**
 * PREP percentages have 4 decimals and are truncated, never rounded (Anexo 13; the 2021
 * LEEME). They are computed in integer arithmetic: a Percent4 is the percentage times 10^4,
 * so 60.9212% is 609212.
 */
export type Percent4 = number & { readonly __brand: 'Percent4' };

/** floor(numerator * 100 * 10^4 / denominator); 0 when the denominator is 0. */
export function truncatedPercent(numerator: number, denominator: number): Percent4 {
  if (
    !Number.isSafeInteger(numerator) ||
    !Number.isSafeInteger(denominator) ||
    numerator < 0 ||
    denominator < 0
  )
    throw new Error(`truncatedPercent needs non-negative safe integers, got ${numerator}/${denominator}`);
  if (denominator === 0) return 0 as Percent4;
  const scaled = numerator * 1_000_000;
  if (!Number.isSafeInteger(scaled))
    return Number((BigInt(numerator) * 1_000_000n) / BigInt(denominator)) as Percent4;
  // Exact integer floor division in doubles: the float quotient can be one off near an
  // integer, so it is corrected with exact products (all below 2^53).
  let quotient = Math.floor(scaled / denominator);
  while (quotient * denominator > scaled) quotient--;
  while ((quotient + 1) * denominator <= scaled) quotient++;
  return quotient as Percent4;
}

/** "60.9212": always four decimals. */
export function formatPercent(value: Percent4): string {
  const whole = Math.floor(value / 10_000);
  const fraction = value % 10_000;
  return `${whole}.${String(fraction).padStart(4, '0')}`;
}

/** Parses "60.9212" back to a Percent4; null when the text is not exactly that shape. */
export function parsePercent(text: string): Percent4 | null {
  const match = /^([0-9]{1,12})\.([0-9]{4})$/.exec(text);
  if (match === null) return null;
  return (Number(match[1]) * 10_000 + Number(match[2])) as Percent4;
}
