/** Convex HTTP errors: `{code, message}` bodies with the status from the error's ErrorCode. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  body(): string {
    return JSON.stringify({ code: this.code, message: this.message });
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);

/** What an error without ErrorMetadata becomes (crates/errors/src/lib.rs). */
export const internalError = () =>
  new HttpError(500, "InternalServerError", "Your request couldn't be completed. Try again later.");

export const badJsonBody = (message: string) => badRequest("BadJsonBody", message);
export const badQuery = (message: string) => badRequest("BadQueryArgs", `Failed to deserialize query string: ${message}`);
export const deserializeBody = (message: string) =>
  badJsonBody(`Failed to deserialize the JSON body into the target type: ${message}`);
