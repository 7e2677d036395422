import { parseExact } from "@convex-airbyte/shared";
import { request } from "undici";
import { ConvexEmulator, type EmulatorOptions } from "../src/index.js";

export const KEY = "prod:test-deployment|0123abcd";
export const RO_KEY = "prod:test-deployment|readonly99";

export async function startEmulator(opts: EmulatorOptions = {}): Promise<ConvexEmulator> {
  const emu = new ConvexEmulator({ adminKey: KEY, readOnlyKey: RO_KEY, ...opts });
  await emu.start();
  return emu;
}

export interface Res {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export async function call(
  emu: ConvexEmulator,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== null) headers.authorization ??= `Convex ${opts.key ?? KEY}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body, (_k, v) => (typeof v === "bigint" ? Number(v) : v));
    headers["content-type"] ??= "application/json";
  }
  const res = await request(`${emu.url}${path}`, { method, headers, body });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : parseExact(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, text, headers: res.headers, body: parsed };
}

export type Page = { values: Record<string, unknown>[]; cursor: unknown; snapshot?: bigint; hasMore: boolean };

export const asPage = (r: Res): Page => r.body as Page;
