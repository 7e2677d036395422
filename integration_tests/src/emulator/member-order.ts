/** Object member order and member texts as the server writes them (from a BTreeMap). */
import { byteOrder } from "./values.js";

/** Member order: input indexes of `names` sorted like the server's BTreeMap (names are ASCII). */
export function sortedOrder(names: readonly string[]): number[] {
  if (names.length > 64) return names.map((_, i) => i).sort((a, b) => byteOrder(names[a] as string, names[b] as string));
  const order: number[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    // Insertion sort: objects are small and often nearly sorted.
    const name = names[i] as string;
    let j = i;
    for (; j > 0 && (names[order[j - 1] as number] as string) > name; j--) order[j] = order[j - 1] as number;
    order[j] = i;
  }
  return order;
}

const MEMBER_CACHE_LIMIT = 50_000;
const memberPrefixes = new Map<string, string>();

/** `"name":` for a field name (memoized: imports see the same few names millions of times). */
export function memberPrefix(name: string): string {
  let p = memberPrefixes.get(name);
  if (p === undefined) {
    p = `${JSON.stringify(name)}:`;
    if (memberPrefixes.size >= MEMBER_CACHE_LIMIT) memberPrefixes.clear();
    memberPrefixes.set(name, p);
  }
  return p;
}
