/** Reads the JSON files named on the command line; every error names the file and the option. */
import { readFile } from "node:fs/promises";
import { JsonSyntaxError, parseExact } from "../json/exact-json.js";
import { InputError } from "./errors.js";

export async function readJsonFile(path: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : ((err as Error).message ?? "unreadable");
    throw new InputError(`Cannot read the ${option} file '${path}': ${why}.`);
  }
  if (text.trim() === "") throw new InputError(`The ${option} file '${path}' is empty; it must hold one JSON object.`);
  try {
    // Exact: state files carry int64 cursors above 2^53.
    return parseExact(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new InputError(`The ${option} file '${path}' is not valid JSON: ${err.message}.`);
    throw err;
  }
}
