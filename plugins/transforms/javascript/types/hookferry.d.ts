// The runtime of a hookferry JavaScript/TypeScript transform.
// Written by `hookferry types`; see docs/transforms.md.
//
// Start a script with a reference to this file (or list the folder in your
// tsconfig.json "include"):
//   /// <reference path="types/hookferry.d.ts" />
// A transform is a script, not a module: declare `function transform(event)`
// at the top level and do not export it. Type-only imports are erased at
// compile time, so `import type { PushEvent } from "./types/github-webhooks"`
// works in a .ts transform.

/** One accepted webhook, as a transform receives it. */
interface HookferryEvent<Body = any> {
  /** The parsed JSON body, or the raw text when the body is not JSON. In a
   * chain, the previous transform's output. Integers beyond 2^53 keep their
   * exact digits (see docs/transforms.md). */
  body: Body;
  /** Inbound request headers, lower-case names; repeated ones joined with ", ".
   * Secrets the source checked (a token header, a signature) are removed. */
  headers: Record<string, string>;
  /** The provider's delivery id, or one hookferry generated. */
  id: string;
  /** The event type the source classified: "push", "pull_request.opened", "invoice.paid". */
  type: string;
  /** The source type that accepted the event: "github", "http", ... */
  source: string;
  /** The pipeline name. */
  pipeline: string;
  /** When the request arrived, RFC 3339 in UTC. */
  received_at: string;
}

/** A message with outbound headers, made by message(). */
interface HookferryMessage {
  readonly __hookferry_message: true;
}

/** A set of messages, made by split(). */
interface HookferrySplit {
  readonly __hookferry_split: true;
}

/** What a transform may return: a body (object, array, string, number,
 * boolean), message(...), split([...]), or null/undefined to drop the event. */
type HookferryResult = object | string | number | boolean | HookferryMessage | HookferrySplit | null | undefined;

/** One message with outbound headers; they override the sink's static headers. */
declare function message(body: unknown, options?: { headers?: Record<string, string> }): HookferryMessage;

/** One message per element; each element is a body or a message(...); null elements are skipped. */
declare function split(items: ReadonlyArray<unknown>): HookferrySplit;

/** Goes to hookferry's structured log, tagged with the pipeline and event id. */
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
