/**
 * Typed Airbyte protocol messages (protocol v0, package 0.18). Only the messages the pair uses
 * are modelled; every object allows unknown keys, as the protocol does.
 */
import type { FailureType } from "../runtime/errors.js";

export type SyncMode = "full_refresh" | "incremental";
export type DestinationSyncMode = "append" | "overwrite" | "append_dedup" | "update" | "soft_delete";

export interface StreamDescriptor {
  name: string;
  namespace?: string;
}

export interface AirbyteRecord {
  stream: string;
  namespace?: string;
  data: Record<string, unknown>;
  emitted_at: number;
  meta?: { changes?: unknown[] };
}

export interface AirbyteStateStats {
  recordCount?: number;
  rejectedRecordCount?: number;
}

export interface AirbyteStreamState {
  stream_descriptor: StreamDescriptor;
  stream_state?: Record<string, unknown> | null;
}

export interface AirbyteStateMessage {
  type?: "STREAM" | "GLOBAL" | "LEGACY";
  stream?: AirbyteStreamState;
  global?: { shared_state?: Record<string, unknown> | null; stream_states: AirbyteStreamState[] };
  data?: Record<string, unknown>;
  sourceStats?: AirbyteStateStats;
  destinationStats?: AirbyteStateStats;
  [extra: string]: unknown;
}

export type LogLevel = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";

export interface AirbyteLog {
  level: LogLevel;
  message: string;
  stack_trace?: string;
}

export interface ConnectorSpecification {
  documentationUrl?: string;
  changelogUrl?: string;
  connectionSpecification: JsonSchemaObject;
  supportsIncremental?: boolean;
  supportsNormalization?: boolean;
  supportsDBT?: boolean;
  supported_destination_sync_modes?: DestinationSyncMode[];
  protocol_version?: string;
}

/** A JSON Schema document; kept loose because schemas are data here. */
export type JsonSchemaObject = Record<string, unknown>;

export interface AirbyteConnectionStatus {
  status: "SUCCEEDED" | "FAILED";
  message?: string;
}

export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema: JsonSchemaObject;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface AirbyteCatalog {
  streams: AirbyteStream[];
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
  generation_id?: number;
  minimum_generation_id?: number;
  sync_id?: number;
}

export interface ConfiguredAirbyteCatalog {
  streams: ConfiguredAirbyteStream[];
}

export type StreamStatus = "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE";

export interface AirbyteErrorTrace {
  message: string;
  internal_message?: string;
  stack_trace?: string;
  failure_type?: FailureType;
  stream_descriptor?: StreamDescriptor;
}

export interface AirbyteEstimateTrace {
  name: string;
  type: "STREAM" | "SYNC";
  namespace?: string;
  row_estimate?: number;
  byte_estimate?: number;
}

export interface AirbyteStreamStatusTrace {
  stream_descriptor: StreamDescriptor;
  status: StreamStatus;
  reasons?: { type: "RATE_LIMITED"; rate_limited?: { quota_reset?: number } }[];
}

export type AirbyteTrace =
  | { type: "ERROR"; emitted_at: number; error: AirbyteErrorTrace }
  | { type: "ESTIMATE"; emitted_at: number; estimate: AirbyteEstimateTrace }
  | { type: "STREAM_STATUS"; emitted_at: number; stream_status: AirbyteStreamStatusTrace };

export type AirbyteMessage =
  | { type: "RECORD"; record: AirbyteRecord }
  | { type: "STATE"; state: AirbyteStateMessage }
  | { type: "LOG"; log: AirbyteLog }
  | { type: "SPEC"; spec: ConnectorSpecification }
  | { type: "CONNECTION_STATUS"; connectionStatus: AirbyteConnectionStatus }
  | { type: "CATALOG"; catalog: AirbyteCatalog }
  | { type: "TRACE"; trace: AirbyteTrace };

/** A stream descriptor without an absent namespace key (the protocol omits absent fields). */
export function descriptor(name: string, namespace?: string | null): StreamDescriptor {
  return namespace === undefined || namespace === null ? { name } : { name, namespace };
}

/** Stream identity as the platform sees it: a null and an empty namespace are the same. */
export function streamKey(name: string, namespace?: string | null): string {
  return `${namespace ?? ""}\u0000${name}`;
}

/** How a stream is named in messages for people: `namespace.name` or `name`. */
export function streamLabel(name: string, namespace?: string | null): string {
  return namespace ? `${namespace}.${name}` : name;
}
