// Types of flareq/testing: start `flareq dev` for a test and drive it.

export interface StartOptions {
  /** wrangler.jsonc, wrangler.json or wrangler.toml of the project; default: the one in `cwd`.
   *  Several (Workers that call each other): each runs, the first one's Worker at `fetch()`. */
  config?: string | string[];
  /** A wrangler environment of the config (`env.NAME`), as `--env`. */
  env?: string;
  /** Run the Worker of a config with "main" (default true). false serves only its queues. */
  worker?: boolean;
  /** Stop the clock: time moves only with `time.advance()` (batch windows, delays, retry delays). */
  virtualClock?: boolean;
  /** Consumers that are processes, by queue: a command run once per batch, or kept running. */
  consumers?: Record<string, string | { command: string; persistent?: boolean }>;
  /** Queues given an HTTP pull consumer. */
  httpPull?: string[];
  /** Folder flareq runs in; default: the config's folder, else process.cwd(). */
  cwd?: string;
  /** Extra environment variables for flareq and the processes it starts. */
  processEnv?: Record<string, string>;
  /** More `flareq dev` arguments, e.g. ["--handler-timeout", "5"]. */
  args?: string[];
  /** The flareq binary; default: FLAREQ_BINARY, else the installed platform package's. */
  binary?: string;
  /** How long start-up may take before it fails with dev's output (default 120000). */
  startTimeoutMs?: number;
  /** Keep the temporary state file after stop() (its path is `statePath`), and the Worker's data. */
  keepState?: boolean;
  /** Where the Worker's other bindings (KV, D1, R2, Durable Objects) keep their data: "fresh"
   *  (the default) in this start's temporary folder, empty at each start; "project" in the
   *  project's .wrangler/state, as under wrangler dev (data seeded there, such as D1 migrations
   *  applied with --local, and what earlier runs left). */
  workerData?: "fresh" | "project";
  /** Called with every line dev prints. */
  onLog?: (line: string) => void;
}

export interface SendOptions {
  /** "json" (the default), "text", "bytes" (the default for a Uint8Array) or "v8". */
  contentType?: "json" | "text" | "bytes" | "v8";
  delaySeconds?: number;
}

export interface Message {
  id: string;
  /** Decoded by content type: JSON parsed, text as a string, bytes as a Uint8Array. */
  body: unknown;
  contentType: "json" | "text" | "bytes" | "v8";
  attempts: number;
  state: "ready" | "delayed" | "leased";
  timestamp: Date;
  /** For a message in a dead letter queue: the queue it failed in. */
  originQueue?: string;
  /** What the consumer threw on the last attempt, when it threw. */
  lastError?: string;
}

export interface FaultSettings {
  /** Share of batches whose handler fails (0 to 1). */
  fail?: number;
  /** Extra handler latency, e.g. "200ms..2s". */
  latency?: string;
  /** Share of batches whose handler is killed mid-batch (0 to 1). */
  crashHandler?: number;
  /** Share of sends refused with a 5xx (0 to 1). */
  pushErrors?: number;
  /** Makes the faults repeatable. */
  seed?: number;
}

export interface ReplayOptions {
  /** Queue to send the messages to; default: the queue each one failed in. */
  to?: string;
  limit?: number;
  ids?: string[];
  olderThanSecs?: number;
  dryRun?: boolean;
}

export declare class FlareqError extends Error {
  /** HTTP status of flareq's answer, when it came from the API. */
  status?: number;
  /** Cloudflare's error code, when it came from the API. */
  code?: number;
}

export interface Flareq {
  /** flareq's API (Cloudflare's paths under /client/v4), its dashboard at "/". */
  readonly apiUrl: string;
  /** The Worker's fetch(), or null when no Worker runs. */
  readonly workerUrl: string | null;
  readonly statePath: string;
  readonly pid: number;
  /** fetch() against the Worker; a path is relative to workerUrl. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  send(queue: string, body: unknown, options?: SendOptions): Promise<unknown>;
  sendBatch(queue: string, messages: Array<{ body: unknown } & SendOptions>, options?: { delaySeconds?: number }): Promise<unknown>;
  /** The messages a queue holds, oldest first. */
  messages(queue: string, options?: { state?: "ready" | "delayed" | "leased"; limit?: number }): Promise<Message[]>;
  /**
   * R2 writes from outside the Worker, made through the Worker that binds the bucket: the object
   * lands where the Worker reads it, and the bucket's event notifications follow (committed
   * before the promise resolves).
   */
  readonly r2: {
    put(bucket: string, key: string, body: string | ArrayBuffer | Uint8Array | Blob, options?: { contentType?: string }):
      Promise<{ key: string; size: number; etag: string }>;
    delete(bucket: string, key: string): Promise<void>;
  };
  /**
   * Resolves once the queues (default: every queue with a consumer) hold no message; flushes open batch windows meanwhile.
   * Rejects after timeoutMs (30 s), or after a second when all that is left is delayed under a virtual clock that
   * nothing moves, saying how far to advance it. With advanceTime, it moves the virtual clock itself to each next
   * message due (delays, retry delays) until the queues are drained.
   */
  waitIdle(queue?: string | string[], options?: { timeoutMs?: number; advanceTime?: boolean }): Promise<void>;
  /** Sends the queues' partial batches now (default: every queue with a consumer). */
  flush(queue?: string | string[]): Promise<void>;
  time: {
    /** "10m", "1h30m", or milliseconds. */
    advance(by: string | number): Promise<unknown>;
    reset(): Promise<unknown>;
    /** The state file's now, in milliseconds since the epoch. */
    now(): Promise<number>;
  };
  faults: {
    /** Injects faults into one queue's consumer, or every queue's when queue is undefined. */
    set(queue: string | undefined, faults: FaultSettings): Promise<unknown>;
    clear(): Promise<unknown>;
    list(): Promise<unknown[]>;
  };
  dlq: {
    list(queue: string, options?: { limit?: number }): Promise<Message[]>;
    replay(queue: string, options?: ReplayOptions): Promise<{ dry_run: boolean; moved: number; by_target: Record<string, number> }>;
  };
  /** Everything dev has printed so far. */
  logs(): string;
  /** Stops dev as Ctrl-C does and removes its temporary state (unless keepState). */
  stop(options?: { timeoutMs?: number }): Promise<{ code: number | null; signal: string | null }>;
}

/** Starts `flareq dev` on free ports with a fresh temporary state file. */
export declare function startFlareq(options?: StartOptions): Promise<Flareq>;
