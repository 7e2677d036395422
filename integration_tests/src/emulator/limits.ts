/** Value and document limits (§11) with the server's codes and messages. */
import { badRequest } from "./errors.js";
import { type ConvexObject, valueNesting, valueSize } from "./values.js";

export const MAX_USER_SIZE = 1 << 20;
export const MAX_DOCUMENT_NESTING = 16;
export const MAX_OBJECT_FIELDS = 1024;
export const MAX_ARRAY_LEN = 8192;
export const MAX_VALUE_NESTING = 64;

/** Size of `_id` (32-char string) and `_creationTime` (float) fields, added to user fields. */
export const SYSTEM_FIELDS_SIZE = "_id".length + 1 + 34 + "_creationTime".length + 1 + 9;

export const tooManyFields = (n: number) =>
  badRequest("TooManyFieldsError", `Object has too many fields (${n} > maximum number ${MAX_OBJECT_FIELDS})`);
export const arrayTooLong = (n: number) =>
  badRequest("ArrayTooLong", `Array length is too long (${n} > maximum length ${MAX_ARRAY_LEN})`);
export const tooNested = (n: number) =>
  badRequest("TooNestedError", `Value is too nested (nested ${n} levels deep > maximum nesting ${MAX_VALUE_NESTING})`);

/** Checks run when a document is written (Transaction::apply_validated_write, document.rs). */
export function validateDocument(fields: ConvexObject): void {
  const withSystem = "_id" in fields ? 0 : SYSTEM_FIELDS_SIZE;
  checkDocumentLimits(valueSize(fields) + withSystem, valueNesting(fields));
  for (const k of Object.keys(fields)) {
    if (k.startsWith("_") && k !== "_id" && k !== "_creationTime") {
      throw badRequest(
        "InvalidDocumentError",
        `Document isn't a valid document: Field '${k}' starts with an underscore, which is only allowed for system fields like '_id'`,
      );
    }
  }
}

/** Size of the `_id` and `_creationTime` fields of a stored document with this id. */
export function systemFieldsSize(id: string): number {
  return "_id".length + 1 + Buffer.byteLength(id) + 2 + "_creationTime".length + 1 + 9;
}

/** The size and nesting checks of `validateDocument`, for callers that already know both. */
export function checkDocumentLimits(size: number, nesting: number): void {
  if (size > MAX_USER_SIZE) {
    throw badRequest("ValueTooLargeError", `Value is too large (${size} > maximum size ${MAX_USER_SIZE})`);
  }
  if (nesting > MAX_DOCUMENT_NESTING) {
    throw badRequest(
      "InvalidDocumentError",
      `Document isn't a valid document: Document is too nested (nested ${nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`,
    );
  }
}
