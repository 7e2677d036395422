/** Fault injection per route: error statuses, latency, resets, hangs and truncated bodies. */

export type FaultKind = "status" | "latency" | "reset" | "hang" | "truncate";

export interface FaultSpec {
  /** Path such as `/api/list_snapshot`, or its last segment (`list_snapshot`), or `*`. */
  route: string;
  /** Restrict to one HTTP method. */
  method?: string;
  kind: FaultKind;
  /** For `status`: the HTTP status (default 500). */
  status?: number;
  /** For `status`: a Retry-After header value in seconds. */
  retryAfter?: number;
  /** For `status`: body code/message (defaults follow the status). */
  code?: string;
  message?: string;
  /** For `latency`: added delay. */
  latencyMs?: number;
  /** Fire on the N-th matching request only (1-based, counted from injection). */
  nth?: number;
  /** Fire on the next `times` matching requests (default 1 when neither nth nor every is set). */
  times?: number;
  /** Fire on every matching request. */
  every?: boolean;
}

export interface Fault extends FaultSpec {
  readonly id: number;
  seen: number;
  fired: number;
}

export class FaultTable {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): number {
    const id = this.nextId++;
    this.faults.push({ ...spec, id, seen: 0, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id);
  }

  clear(): void {
    this.faults = [];
  }

  /** The faults that fire for this request; counters advance for every matching fault. */
  match(method: string, path: string): Fault[] {
    const out: Fault[] = [];
    for (const f of this.faults) {
      if (!routeMatches(f.route, path) || (f.method !== undefined && f.method.toUpperCase() !== method)) continue;
      f.seen++;
      let fire: boolean;
      if (f.every) fire = true;
      else if (f.nth !== undefined) fire = f.seen === f.nth;
      else fire = f.fired < (f.times ?? 1);
      if (fire) {
        f.fired++;
        out.push(f);
      }
    }
    return out;
  }
}

function routeMatches(route: string, path: string): boolean {
  if (route === "*") return true;
  if (route.startsWith("/")) return route === path;
  return path === `/api/${route}` || path.endsWith(`/${route}`);
}

export function defaultFaultBody(status: number): { code: string; message: string } {
  if (status === 429) return { code: "RateLimited", message: "Too many requests. Try again later." };
  if (status === 503) return { code: "Overloaded", message: "Your request couldn't be completed. Try again later." };
  return { code: "InternalServerError", message: "Your request couldn't be completed. Try again later." };
}
