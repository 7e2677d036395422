/**
 * The server's text of a double in [1e16, 1e21) (an integer), `d.ddde<exp>` with the shortest
 * digits that read back as it, written without `String(x)`: imports convert a 19-digit `_ts` per
 * record, and JS's own conversion is a runtime call and a new string each time. The digits are
 * JS's: the fewest, then the closest, then an even last one.
 */

/** 2^53: doubles from here on are integers whose neighbours are `ulp` apart. */
const TWO_53 = 9007199254740992;
const TEN_5 = 100_000;
const TEN_8 = 100_000_000;

/** Decimal digits of the value, most significant first (at most 21). */
const digits = new Uint8Array(24);

/**
 * Recent texts, by the low bits of the value's mantissa: the `_ts` of documents written together
 * repeat. Slot i holds the value `cachedValue[i]` and its text in `cachedText[32 * i …]`.
 */
const CACHE_SLOTS = 64;
const TEXT_MAX = 32;
const cachedValue = new Float64Array(CACHE_SLOTS);
const cachedText = new Uint8Array(CACHE_SLOTS * TEXT_MAX);
const cachedLength = new Uint8Array(CACHE_SLOTS);

/** `Math.floor(v / 1e8)` for an integer 0 ≤ v < 2^53, exactly (the rounded quotient may be one off). */
function div8(v: number): number {
  const q = Math.floor(v / TEN_8);
  const r = v - q * TEN_8;
  return r < 0 ? q - 1 : r >= TEN_8 ? q + 1 : q;
}

/** Writes `x` (an integer with 1e16 ≤ |x| < 1e21) at `at`; returns the offset after it. */
export function writeLargeFloat(buf: Uint8Array, at: number, x: number): number {
  const a = x < 0 ? -x : x;
  let ulp = 2;
  while (a >= TWO_53 * ulp) ulp *= 2;
  const m = a / ulp;
  const slot = (m | 0) & (CACHE_SLOTS - 1);
  if (cachedValue[slot] === x) {
    const from = slot * TEXT_MAX;
    const n = cachedLength[slot] as number;
    for (let i = 0; i < n; i++) buf[at + i] = cachedText[from + i] as number;
    return at + n;
  }
  const start = at;
  // The doubles next to `a` are `ulp` away (below a power of two, `ulp / 2` below): decimals
  // closer than half of that read back as `a`, and those exactly half-way when `m` is even.
  const up = ulp / 2;
  const down = m === TWO_53 / 2 ? ulp / 4 : up;
  const even = m % 2 === 0;
  // a = m * ulp in base 1e8: high * 1e16 + mid * 1e8 + low (each product exact). Limbs below 1e8
  // are int32s, so their digits come from integer operations (a double's `%` is a runtime call).
  const m1 = div8(m);
  let low = (m - m1 * TEN_8) * ulp;
  const carry = div8(low);
  low = (low - carry * TEN_8) | 0;
  let mid = m1 * ulp + carry;
  let high = div8(mid);
  mid = (mid - high * TEN_8) | 0;
  high |= 0;
  let n = 17;
  for (let h = high; h >= 10; h = (h / 10) | 0) n++;
  for (let i = n - 1, v = low; i >= n - 8; i--, v = (v / 10) | 0) digits[i] = v % 10;
  for (let i = n - 9, v = mid; i >= n - 16; i--, v = (v / 10) | 0) digits[i] = v % 10;
  for (let i = n - 17; i >= 0; i--, high = (high / 10) | 0) digits[i] = high % 10;

  // The most trailing zeros k for which a multiple of 10^k reads back as `a` (rounding `a` down
  // or up to it): every smaller k has one too. Beyond 10^5 the interval (< 2^17 wide) has at
  // most one, and only when the digits between are all 0 (down) or all 9 (up).
  const low5 = low % TEN_5;
  let k = 0;
  let zeros = true;
  let nines = true;
  let below = false;
  let above = false;
  let lowJ = 0;
  let tenJ = 1;
  for (let j = 1; j <= n; j++) {
    let r: number;
    let toNext: number;
    if (j <= 5) {
      // The last j digits, and 10^j.
      lowJ += (digits[n - j] as number) * tenJ;
      tenJ *= 10;
      r = lowJ;
      toNext = tenJ - r;
    } else {
      const d = digits[n - j] as number;
      zeros &&= d === 0;
      nines &&= d === 9;
      r = zeros ? low5 : Number.POSITIVE_INFINITY;
      toNext = nines ? TEN_5 - low5 : Number.POSITIVE_INFINITY;
    }
    const b = r < down || (r === down && even);
    const u = toNext < up || (toNext === up && even);
    if (!b && !u) break;
    k = j;
    below = b;
    above = u;
    if (b && u) {
      // Both (k ≤ 5): the closer one; at equal distances the one with an even last digit.
      const last = n - j - 1 >= 0 ? (digits[n - j - 1] as number) : 0;
      below = r < toNext || (r === toNext && last % 2 === 0);
      above = !below;
    }
  }

  // The kept digits, rounded up when `above`.
  let len = n - k;
  let exp = n - 1;
  if (above) {
    let i = len - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i >= 0) digits[i] = (digits[i] as number) + 1;
    else {
      digits[0] = 1;
      len = 1;
      exp = n;
    }
  }
  while (len > 1 && digits[len - 1] === 0) len--;
  if (x < 0) buf[at++] = 45;
  buf[at++] = 48 + (digits[0] as number);
  if (len > 1) {
    buf[at++] = 46;
    for (let i = 1; i < len; i++) buf[at++] = 48 + (digits[i] as number);
  }
  buf[at++] = 101;
  buf[at++] = 48 + Math.floor(exp / 10);
  buf[at++] = 48 + (exp % 10);
  cachedValue[slot] = x;
  cachedLength[slot] = at - start;
  for (let i = start; i < at; i++) cachedText[slot * TEXT_MAX + i - start] = buf[i] as number;
  return at;
}
