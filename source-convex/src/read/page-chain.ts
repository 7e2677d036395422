/**
 * Fetches a chain of pages, where each page names the next (a cursor), one page ahead. The next
 * page is requested as soon as the body of the page being waited for arrives and its tail names
 * the next cursor, before that body is scanned: on a distant server each page then costs one
 * round trip, not a round trip plus a scan.
 *
 * The tail is a guess; the reader passes the key the scanned page gave to `next`, which reuses
 * the early request only when the keys agree and otherwise cancels it and requests the right page.
 * A wrong guess costs one request, never a wrong page.
 *
 * Look-ahead stays bounded: a page only requests its successor early once the reader waits for
 * it (`take`). A tail that arrives before then is kept and acted on at `take`. A reader that is
 * done with the chain, whatever the outcome, calls `close`, which cancels what is still running.
 */

/** Requests the page at `key`; calls `hint` with the next page's key (undefined: none) as soon as its tail is read. */
export type PageRequest<K, P> = (key: K, hint: (next: K | undefined) => void, signal: AbortSignal) => Promise<P>;

/** One page request of a chain. */
export interface PageFetch<K> {
  readonly key: K;
}

class Fetch<K, P> implements PageFetch<K> {
  readonly page: Promise<P>;
  readonly controller = new AbortController();
  /** The early request for the page after this one. */
  ahead: Fetch<K, P> | undefined;
  /** The reader waits for this page: its tail may start the next request. */
  taken = false;
  /** A tail that arrived before `take`: `null` when none came. */
  hinted: { next: K | undefined } | null = null;

  constructor(
    readonly key: K,
    request: PageRequest<K, P>,
    onHint: (fetch: Fetch<K, P>, next: K | undefined) => void,
    chainSignal: AbortSignal,
  ) {
    this.page = request(key, (next) => onHint(this, next), AbortSignal.any([chainSignal, this.controller.signal]));
    // Read later by `take`; a page cancelled or dropped must not be an unhandled rejection.
    this.page.catch(() => undefined);
  }
}

export class PageChain<K, P> {
  private readonly closer = new AbortController();
  /** Stops every request of the chain: the caller's signal, or `close`. */
  private readonly signal: AbortSignal;

  constructor(
    private readonly request: PageRequest<K, P>,
    private readonly same: (a: K, b: K) => boolean,
    signal: AbortSignal,
  ) {
    this.signal = AbortSignal.any([signal, this.closer.signal]);
  }

  /** Requests the page at `key` (the chain's first, or one after a restart). */
  start(key: K): PageFetch<K> {
    return this.fetch(key);
  }

  /** The page of `fetch`, which the reader now waits for. */
  take(fetch: PageFetch<K>): Promise<P> {
    const f = fetch as Fetch<K, P>;
    f.taken = true;
    if (f.hinted !== null) {
      const { next } = f.hinted;
      f.hinted = null;
      this.lookAhead(f, next);
    }
    return f.page;
  }

  /** The request for the page after `fetch`'s, whose scanned page named `key` as the next. */
  next(fetch: PageFetch<K>, key: K): PageFetch<K> {
    const f = fetch as Fetch<K, P>;
    const ahead = f.ahead;
    f.ahead = undefined;
    if (ahead !== undefined && this.same(ahead.key, key)) return ahead;
    if (ahead !== undefined) this.cancel(ahead);
    return this.fetch(key);
  }

  /** Cancels every request of the chain still running: the reader is done with it. */
  close(): void {
    this.closer.abort();
  }

  private fetch(key: K): Fetch<K, P> {
    return new Fetch(key, this.request, (f, next) => this.onHint(f, next), this.signal);
  }

  private onHint(f: Fetch<K, P>, next: K | undefined): void {
    if (f.controller.signal.aborted || this.signal.aborted) return;
    if (f.taken) this.lookAhead(f, next);
    else f.hinted = { next };
  }

  private lookAhead(f: Fetch<K, P>, next: K | undefined): void {
    // A retried attempt of the same page repeats its tail: keep the request already made.
    if (f.ahead !== undefined && next !== undefined && this.same(f.ahead.key, next)) return;
    if (f.ahead !== undefined) this.cancel(f.ahead);
    f.ahead = next !== undefined && !this.signal.aborted ? this.fetch(next) : undefined;
  }

  private cancel(f: Fetch<K, P>): void {
    f.controller.abort();
    if (f.ahead !== undefined) this.cancel(f.ahead);
    f.ahead = undefined;
  }
}
