import { describe, expect, it } from "vitest";
import { PageChain } from "../src/read/page-chain.js";

/** A fake page server: each request is recorded and answered when the test says so. */
function fakeRequests() {
  const calls: { key: number; hint: (next: number | undefined) => void; signal: AbortSignal; resolve: (page: string) => void }[] = [];
  const request = (key: number, hint: (next: number | undefined) => void, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(new Error(`page ${key} cancelled`)));
      calls.push({ key, hint, signal, resolve });
    });
  const call = (key: number) => {
    const found = calls.filter((c) => c.key === key);
    expect(found).toHaveLength(1);
    return found[0] as (typeof calls)[number];
  };
  return { calls, request, call, keys: () => calls.map((c) => c.key) };
}

const sameNumber = (a: number, b: number) => a === b;

describe("PageChain", () => {
  it("requests the next page as soon as the awaited page's tail names it, and reuses that request", async () => {
    const server = fakeRequests();
    const chain = new PageChain(server.request, sameNumber, new AbortController().signal);
    const first = chain.start(1);
    const page = chain.take(first);
    server.call(1).hint(2);
    expect(server.keys()).toEqual([1, 2]); // before page 1 is answered (checked)
    server.call(1).resolve("p1");
    expect(await page).toBe("p1");
    const second = chain.next(first, 2);
    expect(second.key).toBe(2);
    expect(server.keys()).toEqual([1, 2]); // no second request for page 2
    const p2 = chain.take(second);
    server.call(2).resolve("p2");
    expect(await p2).toBe("p2");
    expect(server.call(2).signal.aborted).toBe(false);
  });

  it("keeps a tail that arrives before the reader waits for the page, so look-ahead stays one page", async () => {
    const server = fakeRequests();
    const chain = new PageChain(server.request, sameNumber, new AbortController().signal);
    const first = chain.start(1);
    void chain.take(first);
    server.call(1).hint(2);
    server.call(1).resolve("p1");
    const second = chain.next(first, 2);
    server.call(2).hint(3); // page 2 arrives while page 1 is still being written
    expect(server.keys()).toEqual([1, 2]);
    void chain.take(second);
    expect(server.keys()).toEqual([1, 2, 3]);
  });

  it("cancels a wrong guess and requests the page the scanned page names", async () => {
    const server = fakeRequests();
    const chain = new PageChain(server.request, sameNumber, new AbortController().signal);
    const first = chain.start(1);
    void chain.take(first);
    server.call(1).hint(7);
    const second = chain.next(first, 2);
    expect(second.key).toBe(2);
    expect(server.keys()).toEqual([1, 7, 2]);
    expect(server.call(7).signal.aborted).toBe(true);
    expect(server.call(2).signal.aborted).toBe(false);
  });

  it("keeps the early request when a retried attempt repeats the tail, and replaces it when the tail differs", () => {
    const server = fakeRequests();
    const chain = new PageChain(server.request, sameNumber, new AbortController().signal);
    const first = chain.start(1);
    void chain.take(first);
    server.call(1).hint(2);
    server.call(1).hint(2);
    expect(server.keys()).toEqual([1, 2]);
    server.call(1).hint(3);
    expect(server.keys()).toEqual([1, 2, 3]);
    expect(server.call(2).signal.aborted).toBe(true);
    server.call(1).hint(undefined); // the last page after all: nothing follows
    expect(server.call(3).signal.aborted).toBe(true);
  });

  it("close cancels every request still running, the page being written's successor and its early request too", async () => {
    const server = fakeRequests();
    const chain = new PageChain(server.request, sameNumber, new AbortController().signal);
    const first = chain.start(1);
    void chain.take(first);
    server.call(1).hint(2);
    server.call(1).resolve("p1");
    const second = chain.next(first, 2);
    void chain.take(second);
    server.call(2).hint(3);
    expect(server.keys()).toEqual([1, 2, 3]);
    chain.close(); // e.g. writing page 1 failed
    expect(server.call(2).signal.aborted).toBe(true);
    expect(server.call(3).signal.aborted).toBe(true);
    expect(server.call(1).signal.aborted).toBe(true); // answered already: aborting it changes nothing
    await expect(chain.take(second)).rejects.toThrow("page 2 cancelled");
  });

  it("the caller's signal cancels every request, and no tail starts a new one after it", async () => {
    const server = fakeRequests();
    const stop = new AbortController();
    const chain = new PageChain(server.request, sameNumber, stop.signal);
    const other = chain.start(10);
    void chain.take(other);
    stop.abort();
    server.call(10).hint(11);
    expect(server.keys()).toEqual([10]);
    await expect(chain.take(other)).rejects.toThrow("page 10 cancelled");
  });
});
