/**
 * One error model for both connectors. Every failure that reaches the top-level handler is
 * classified the way Airbyte's UI and retry logic expect:
 * - config_error: the user must change something (key, URL, catalog, state, expired cursor);
 * - transient_error: retrying later may succeed (network, 429, 5xx after our own retries);
 * - system_error: a bug or an unexpected condition.
 */
export type FailureType = "config_error" | "transient_error" | "system_error";

export interface StreamRef {
  name: string;
  namespace?: string | undefined;
}

export interface ConnectorErrorOptions {
  /** Technical detail for `internal_message` (status codes, routes, raw server text). */
  internal?: string | undefined;
  cause?: unknown;
  stream?: StreamRef | undefined;
}

/** Base class: `message` is user-facing and says what to do. */
export class ConnectorError extends Error {
  override readonly name: string = "ConnectorError";
  readonly failureType: FailureType;
  readonly internal: string | undefined;
  readonly stream: StreamRef | undefined;

  constructor(failureType: FailureType, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.failureType = failureType;
    this.internal = options.internal;
    this.stream = options.stream;
  }
}

/** The user must fix the configuration, catalog or state. */
export class ConfigError extends ConnectorError {
  override readonly name: string = "ConfigError";
  constructor(message: string, options: ConnectorErrorOptions = {}) {
    super("config_error", message, options);
  }
}

/** Retrying the sync later may succeed. */
export class TransientError extends ConnectorError {
  override readonly name: string = "TransientError";
  constructor(message: string, options: ConnectorErrorOptions = {}) {
    super("transient_error", message, options);
  }
}

/** A bug or an unexpected state. */
export class SystemError extends ConnectorError {
  override readonly name: string = "SystemError";
  constructor(message: string, options: ConnectorErrorOptions = {}) {
    super("system_error", message, options);
  }
}

/** Input on stdin or in a file could not be understood; names the file or line. */
export class InputError extends ConfigError {
  override readonly name = "InputError";
}

/** Raised when SIGTERM/SIGINT asked the connector to stop. */
export class InterruptedError extends ConnectorError {
  override readonly name = "InterruptedError";
  constructor(signal: string) {
    super("transient_error", `The connector was stopped by ${signal} before it finished; the next sync resumes from the last committed state.`);
  }
}

/** Any thrown value as a ConnectorError; unknown errors are system errors. */
export function asConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof Error) {
    return new SystemError(`Unexpected error: ${err.message}`, { internal: err.stack ?? err.message, cause: err });
  }
  return new SystemError(`Unexpected error: ${String(err)}`);
}
