import { describe, expect, it } from "vitest";
import { validateConfig } from "../src/runtime/config.js";
import { ConfigError } from "../src/runtime/errors.js";
import { collectSecrets } from "../src/runtime/secrets.js";

const schema = {
  type: "object",
  required: ["deployment_url", "access_key"],
  additionalProperties: false,
  properties: {
    deployment_url: { type: "string" },
    access_key: { type: "string", airbyte_secret: "true" },
    mode: { type: "string", enum: ["fail", "skip"], default: "fail" },
  },
};

describe("validateConfig", () => {
  it("names the missing field", () => {
    expect(() => validateConfig(schema, { deployment_url: "https://x" })).toThrow(/required field 'access_key' is missing/);
  });
  it("names the field with the wrong type, without its value", () => {
    const err = (() => {
      try {
        validateConfig(schema, { deployment_url: 42, access_key: "very-secret-value" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/field 'deployment_url' must be of type string/);
    expect(err?.message).not.toContain("42");
  });
  it("rejects unknown fields when the spec forbids them, and fills defaults", () => {
    expect(() => validateConfig(schema, { deployment_url: "u", access_key: "k", extra: 1 })).toThrow(/'extra' is not allowed/);
    expect(validateConfig<{ mode: string }>(schema, { deployment_url: "u", access_key: "k" }).mode).toBe("fail");
  });
  it("collects secrets flagged with a boolean or the Python string 'true'", () => {
    expect(collectSecrets(schema, { deployment_url: "u", access_key: " key-1 " })).toEqual([" key-1 ", "key-1"]);
  });
});
