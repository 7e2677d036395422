import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/runtime/errors.js";
import { buildUrl, createRedactor, normalizeDeploymentUrl, REDACTED, redact, validateAccessKey } from "../src/convex/index.js";

describe("normalizeDeploymentUrl", () => {
  it("trims whitespace, strips trailing slashes and lowercases the host", () => {
    expect(normalizeDeploymentUrl("  https://Happy-Otter-123.convex.cloud///  ")).toBe("https://happy-otter-123.convex.cloud");
    expect(normalizeDeploymentUrl("http://127.0.0.1:3210")).toBe("http://127.0.0.1:3210");
  });

  it("keeps a path prefix, and routes are appended to it", () => {
    const base = normalizeDeploymentUrl("https://proxy.example.com/convex/prod/");
    expect(base).toBe("https://proxy.example.com/convex/prod");
    expect(buildUrl(base, "/api/list_snapshot", new URLSearchParams({ tableName: "users" }))).toBe(
      "https://proxy.example.com/convex/prod/api/list_snapshot?tableName=users",
    );
  });

  it.each([
    ["ftp://x.convex.cloud", /deployment_url.*scheme "ftp"/],
    ["file:///etc/passwd", /deployment_url.*scheme "file"/],
    ["x.convex.cloud", /deployment_url.*not a valid URL.*https:\/\//],
    ["https://", /deployment_url.*not a valid URL/],
    ["", /deployment_url is empty/],
    ["https://x.convex.cloud/?a=1", /deployment_url must not contain a query string/],
    ["https://x.convex.cloud/#frag", /deployment_url must not contain a query string \("\?…"\) or a fragment/],
    ["https://x.convex.cloud?", /query string/],
    ["https://x.convex.cloud /api", /whitespace/],
  ])("rejects %j with a ConfigError", (raw, pattern) => {
    const attempt = () => normalizeDeploymentUrl(raw);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(pattern);
  });

  it("rejects user info without echoing the password", () => {
    try {
      normalizeDeploymentUrl("https://user:s3cr3t-pass@x.convex.cloud");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/deployment_url must not contain a user name or password/);
      expect((err as Error).message).not.toContain("s3cr3t-pass");
    }
  });

  it("warns about a .convex.site URL", () => {
    const warnings: string[] = [];
    normalizeDeploymentUrl("https://x.convex.site", (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\.convex\.cloud/);
  });
});

describe("validateAccessKey", () => {
  const key = "prod:happy-otter-123|0123456789abcdef0123456789abcdef";

  it("trims surrounding whitespace and reports it", () => {
    const warnings: string[] = [];
    expect(validateAccessKey(`  ${key}\n`, (w) => warnings.push(w))).toBe(key);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain(key);
    expect(validateAccessKey(key, (w) => warnings.push(w))).toBe(key);
    expect(warnings).toHaveLength(1);
  });

  it.each([
    ["", /access_key is empty.*Deploy Key/],
    ["   \n", /access_key is empty/],
    [`${key.slice(0, 20)}\n${key.slice(20)}`, /whitespace or a line break inside it/],
    [`${key.slice(0, 20)} ${key.slice(20)}`, /whitespace or a line break inside it/],
    [`Convex ${key}`, /starts with "Convex "/],
    [`${key}é`, /non-ASCII or control characters/],
  ])("rejects a malformed key (%#) without including it", (raw, pattern) => {
    try {
      validateAccessKey(raw);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toContain(key.slice(20));
    }
  });
});

describe("redaction", () => {
  const key = "prod:happy-otter-123|0123456789abcdef0123456789abcdef";

  it("scrubs the key and the forms a server may echo", () => {
    const r = createRedactor([key]);
    const text = `full ${key}; stripped happy-otter-123|0123456789abcdef0123456789abcdef; secret 0123456789abcdef0123456789abcdef; url ${encodeURIComponent(key)}`;
    const out = r(text);
    expect(out).not.toContain("0123456789abcdef");
    expect(out).toContain(REDACTED);
  });

  it("scrubs an echoed Authorization header whatever key it holds, but keeps ordinary words", () => {
    expect(redact('headers: {"authorization": "Convex other-key|abc"}', key)).not.toContain("other-key");
    expect(redact("Open the Convex dashboard", key)).toBe("Open the Convex dashboard");
  });
});
