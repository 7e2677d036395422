import { describe, expect, it } from "vitest";
import {
  isValidIdentifier,
  serverFieldName,
  serverFieldNames,
  serverPrimaryKey,
  serverTableName,
  slugify,
  tableNameForStream,
} from "../src/table-names.js";

describe("tableNameForStream", () => {
  it("prefixes the namespace when the catalog gives one, as the Python connector did", () => {
    expect(tableNameForStream("users", "app")).toBe("app_users");
    expect(tableNameForStream("users")).toBe("users");
    expect(tableNameForStream("users", null)).toBe("users");
    expect(tableNameForStream("users", "")).toBe("_users");
  });
});

describe("server sanitizing (reference §10.1 examples)", () => {
  it.each([
    ["users", "users"],
    ["My Table", "source_my_table"],
    ["_raw", "source_raw"],
    ["123abc", "source_123abc"],
    ["*name!of.table", "source_name_of_table"],
    ["_system_table", "source_system_table"],
  ])("table %j → %j", (input, stored) => {
    expect(serverTableName(input)).toBe(stored);
    expect(isValidIdentifier(serverTableName(input))).toBe(true);
  });

  it.each([
    ["_id", "source_id"],
    ["$type", "source_type"],
    ["héllo", "source_hello"],
    ["first name", "first name"],
    ["MyField", "MyField"],
    ["_ab_cdc_deleted_at", "source_ab_cdc_deleted_at"],
  ])("field %j → %j", (input, stored) => {
    expect(serverFieldName(input)).toBe(stored);
  });

  it("keeps a table name longer than 64 characters invalid", () => {
    expect(isValidIdentifier(serverTableName("a".repeat(65)))).toBe(false);
  });

  it("slugifies to lowercase ASCII words", () => {
    expect(slugify("Straße Ünïcode--x")).toBe("strasse_unicode_x");
    expect(slugify("__a__")).toBe("a");
  });

  it("prefixes again on collisions, up to three times, then refuses", () => {
    expect(serverFieldNames(["source_id", "_id"])).toEqual({ names: ["source_id", "source_source_id"] });
    const r = serverFieldNames(["source_id", "source_source_id", "source_source_source_id", "source_source_source_source_id", "_id"]);
    expect("error" in r).toBe(true);
  });

  it("maps a primary key on _id to the stored name", () => {
    expect(serverPrimaryKey([["_id"]])).toEqual([["source_id"]]);
    expect(serverPrimaryKey([["a", "_b"], ["c"]])).toEqual([["a", "source_b"], ["c"]]);
  });
});
