/**
 * Deterministic, realistic Convex documents: nested objects, arrays, optional fields, unions,
 * int64 (bigint), bytes, unicode, occasional NaN/±Infinity, and large documents on request.
 * Document i of a kind depends only on (seed, kind, i), so any slice can be regenerated.
 */
import { SeededRandom } from "../random.js";

export type GeneratedDoc = Record<string, unknown>;
export type DocKind = "users" | "messages" | "events";

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Zoë", "José", "Łukasz", "Søren", "明", "Олег", "Fatima"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Müller", "Ñúñez", "Kowalski", "山田", "Иванов"];
const CITIES = ["London", "Zürich", "São Paulo", "Kraków", "東京", "New York", "Reykjavík", "Montréal"];
const TAGS = ["alpha", "beta", "gamma", "delta", "urgent", "later", "🚀", "naïve", "résumé", "ok"];
const WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua".split(" ");

export interface GeneratorOptions {
  seed?: number;
  /** Probability that a float field is NaN/±Infinity/-0 (default 0.01). */
  specialFloatRate?: number;
}

export class DocumentGenerator {
  private readonly seed: number;
  private readonly specialRate: number;

  constructor(opts: GeneratorOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.specialRate = opts.specialFloatRate ?? 0.01;
  }

  private rng(kind: DocKind, i: number): SeededRandom {
    const k = kind === "users" ? 1 : kind === "messages" ? 2 : 3;
    return new SeededRandom((this.seed * 2654435761) ^ (k * 40503) ^ Math.imul(i + 1, 2246822519));
  }

  private float(r: SeededRandom, scale: number): number {
    if (r.chance(this.specialRate)) return r.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0]);
    return Math.round(r.next() * scale * 1000) / 1000;
  }

  private sentence(r: SeededRandom, words: number): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(r.pick(WORDS));
    return out.join(" ");
  }

  doc(kind: DocKind, i: number): GeneratedDoc {
    if (kind === "users") return this.user(i);
    if (kind === "messages") return this.message(i);
    return this.event(i);
  }

  user(i: number): GeneratedDoc {
    const r = this.rng("users", i);
    const doc: GeneratedDoc = {
      name: `${r.pick(FIRST)} ${r.pick(LAST)}`,
      email: `user${i}@example.com`,
      age: r.int(18, 90),
      balance: this.float(r, 10_000),
      accountNumber: BigInt(r.int(0, 2 ** 31)) * 4_294_967_296n + BigInt(r.int(0, 2 ** 31)),
      active: r.chance(0.8),
      address: {
        street: `${r.int(1, 999)} ${r.pick(LAST)} Street`,
        city: r.pick(CITIES),
        geo: { lat: this.float(r, 90), lng: this.float(r, 180) },
      },
      tags: Array.from({ length: r.int(0, 5) }, () => r.pick(TAGS)),
      bio: this.sentence(r, r.int(5, 25)),
    };
    if (r.chance(0.3)) doc.nickname = r.pick(FIRST);
    if (r.chance(0.2)) doc.avatar = r.bytes(r.int(8, 48));
    // A union: a string or a number or null.
    doc.externalRef = r.chance(0.5) ? `ext-${r.int(1, 1e6)}` : r.chance(0.5) ? r.int(1, 1e6) : null;
    return doc;
  }

  message(i: number): GeneratedDoc {
    const r = this.rng("messages", i);
    const doc: GeneratedDoc = {
      channel: `#${r.pick(TAGS)}`,
      author: `${r.pick(FIRST)} ${r.pick(LAST)}`,
      body: this.sentence(r, r.int(10, 40)),
      sentAt: 1.7e12 + r.int(0, 1e9),
      sequence: BigInt(i),
      reactions: Array.from({ length: r.int(0, 4) }, () => ({ emoji: r.pick(["👍", "🎉", "❤️", "😂"]), count: r.int(1, 50) })),
      metadata: { client: r.pick(["web", "ios", "android"]), version: `${r.int(1, 9)}.${r.int(0, 20)}` },
    };
    if (r.chance(0.25)) doc.editedAt = 1.7e12 + r.int(0, 1e9);
    if (r.chance(0.1)) doc.attachment = { name: `file${i}.bin`, data: r.bytes(r.int(16, 64)) };
    return doc;
  }

  event(i: number): GeneratedDoc {
    const r = this.rng("events", i);
    const kind = r.pick(["click", "view", "purchase"] as const);
    const payload: GeneratedDoc =
      kind === "purchase"
        ? { kind, amount: this.float(r, 500), currency: r.pick(["EUR", "USD", "JPY"]), items: r.int(1, 9) }
        : { kind, target: `/${r.pick(WORDS)}/${r.pick(WORDS)}`, durationMs: r.int(1, 10_000) };
    return {
      type: kind,
      payload,
      userAgent: `Mozilla/5.0 (${r.pick(["X11", "Macintosh", "Windows NT 10.0"])}) ${this.sentence(r, 4)}`,
      at: 1.7e12 + r.int(0, 1e9),
      counter: BigInt(r.int(0, 1e9)) * 1_000_000_000n,
      score: this.float(r, 1),
      notes: r.chance(0.5) ? this.sentence(r, r.int(3, 30)) : undefined,
    };
  }

  /** A document whose Convex size is close to (and below) `targetBytes` (default just under 1 MiB). */
  large(i: number, targetBytes = (1 << 20) - 1024): GeneratedDoc {
    const r = this.rng("events", -1 - i);
    const chunks: string[] = [];
    // Each chunk costs its length + 2 in the size formula; keep well within the array limit.
    const chunkLen = 4096;
    let size = 2 + "title".length + 1 + 12 + "chunks".length + 1 + 2 + 200;
    while (size + chunkLen + 2 < targetBytes) {
      chunks.push(this.sentence(r, 800).slice(0, chunkLen).padEnd(chunkLen, "x"));
      size += chunkLen + 2;
    }
    return { title: `large-${i}`, chunks };
  }
}

/** `count` documents of a kind, starting at index `from`. */
export function generateDocuments(kind: DocKind, count: number, opts: GeneratorOptions & { from?: number } = {}): GeneratedDoc[] {
  const g = new DocumentGenerator(opts);
  const from = opts.from ?? 0;
  return Array.from({ length: count }, (_, i) => g.doc(kind, from + i));
}
