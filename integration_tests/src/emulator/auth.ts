/** Authentication and authorization as in §2.3 (local_backend/src/authentication.rs and friends). */
import { badRequest, HttpError } from "./errors.js";

export type KeyRole = "full" | "readonly";

export type Identity = { kind: "admin"; role: KeyRole } | { kind: "user" } | { kind: "unknown" };

/** Removes a `prod:`/`dev:` style prefix the way AdminKey::remove_type_prefix does. */
export function stripKeyPrefix(key: string): string {
  const colon = key.indexOf(":");
  const bar = key.indexOf("|");
  if (colon < 0 || (bar >= 0 && bar < colon)) return key;
  const type = key.slice(0, colon);
  if ((type === "preview" || type === "project") && bar >= 0) return key.slice(bar + 1);
  return key.slice(colon + 1);
}

/**
 * Extracts the identity (ExtractIdentity). Throws the 400/401 errors; an absent header is an
 * Unknown identity which only the permission check rejects.
 */
export function authenticate(
  header: string | undefined,
  queryKey: string | undefined,
  keys: ReadonlyMap<string, KeyRole>,
): Identity {
  let key: string;
  if (header !== undefined) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
    if (!/^[\x00-\x7f]*$/.test(header)) throw badRequest("HeaderParseFailure", `Failed to parse header ${header}`);
    if (Buffer.byteLength(header) < 7) throw badRequest("InvalidHeaderFailure", "Invalid authentication header");
    if (header.slice(0, 7).toLowerCase() !== "convex ") {
      if (header.slice(0, 7).toLowerCase() !== "bearer ") throw badRequest("InvalidAdminKey", "Invalid admin key");
      return { kind: "user" };
    }
    key = header.slice(7);
  } else if (queryKey !== undefined) {
    key = queryKey;
  } else {
    return { kind: "unknown" };
  }
  key = stripActAsUser(key);
  const role = keys.get(stripKeyPrefix(key));
  if (role === undefined) {
    throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
  }
  return { kind: "admin", role };
}

/** A trailing `:<base64 JSON>` means "act as user"; the emulator validates it and ignores it. */
function stripActAsUser(key: string): string {
  const bar = key.indexOf("|");
  const last = key.lastIndexOf(":");
  if (bar < 0 || last <= bar) return key;
  const tail = key.slice(last + 1);
  try {
    JSON.parse(Buffer.from(tail, "base64").toString("utf8"));
  } catch {
    throw badRequest("HeaderParseFailure", "Malformed Authorization header.");
  }
  return key.slice(0, last);
}

export type Operation = "view" | "import";

export function requireOperation(identity: Identity, op: Operation): void {
  if (identity.kind !== "admin") {
    throw new HttpError(
      403,
      "BadDeployKey",
      "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.",
    );
  }
  if (op === "import" && identity.role === "readonly") {
    throw new HttpError(
      403,
      "OperationNotPermitted",
      "You do not have permission to perform this operation (deployment:backups:import).",
    );
  }
}

/** `Convex-Client` validation (§2.4): only a value with no `-` is rejected. */
export function checkClientHeader(value: string | undefined): void {
  if (value === undefined || value.includes("-")) return;
  throw badRequest(
    "InvalidClientVersion",
    `Failed to parse client version string: '${value}'. Expected format is {client_name}-{semver}, e.g. my-esolang-client-0.0.1`,
  );
}
