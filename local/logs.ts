/**
 * How the local runtime prints what it does. In AWS every function logs Powertools Logger JSON
 * (one object per line, read by CloudWatch); locally the same handler modules run in this one
 * process, so their JSON lands on the terminal. By default (`LOG_FORMAT=pretty`) this module
 * turns it into short human-readable lines:
 *
 *   - an API request is ONE line, written by the gateway (local/gateway.ts): time, method, path,
 *     status, milliseconds, DynamoDB requests and the request id — the handler's own `request`
 *     entry (which carries the DynamoDB usage) is folded into it, and its warnings and errors
 *     (name, message, cause) are appended to it;
 *   - jobs and the events publisher: a line when a job did something or anything fails;
 *   - requests the demo seed sends are not printed at all.
 *
 * `LOG_FORMAT=json` prints the handlers' Powertools JSON unchanged (exactly what CloudWatch would
 * receive) and the gateway's lines as JSON too. The handler code is the same in both cases: the
 * difference is made here, by reading what the handlers write to stdout/stderr.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogFormat = 'pretty' | 'json';

/** `LOG_FORMAT`: `pretty` (default) or `json`. */
export function logFormat(value: string | undefined = process.env.LOG_FORMAT): LogFormat {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'pretty' || v === 'text') return 'pretty';
  if (v === 'json') return 'json';
  throw new Error(`LOG_FORMAT must be "pretty" or "json", not "${value}"`);
}

/** One handler invocation; what the handler logs while it runs is attributed to it. */
export interface Invocation {
  /** `http`: invoked by the gateway, which prints the request line. */
  kind: 'http' | 'background';
  feature: string;
  /** Nothing the handler logs is printed (the demo seed's requests). */
  quiet: boolean;
  /** From the handler's `request` entry. */
  dbRequests?: number;
  /** Warnings and errors the handler logged, as short text. */
  problems: string[];
}

export const invocations = new AsyncLocalStorage<Invocation>();

/** Runs `work` as one invocation unless it already runs inside one (the gateway's). */
export function withinInvocation<T>(feature: string, work: () => Promise<T>): Promise<T> {
  if (invocations.getStore()) return work();
  return invocations.run({ kind: 'background', feature, quiet: false, problems: [] }, work);
}

export interface PowertoolsEntry {
  level: string;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}

/** A Powertools Logger line, or undefined for anything else. */
export function parsePowertoolsLine(text: string): PowertoolsEntry | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    const value = JSON.parse(trimmed) as Record<string, unknown>;
    if (typeof value.level === 'string' && typeof value.message === 'string' && typeof value.timestamp === 'string') return value as PowertoolsEntry;
  } catch { /* not JSON */ }
  return undefined;
}

/** Keys Powertools adds to every entry from the Lambda context: noise on a terminal. */
const CONTEXT_KEYS = new Set([
  'level', 'message', 'timestamp', 'service', 'cold_start', 'function_arn', 'function_memory_size', 'function_name',
  'function_request_id', 'sampling_rate', 'xray_trace_id', 'apiRequestId', 'userId', 'role',
]);

/** `TypeError: boom (cause: Error: deeper)` from a Powertools-formatted or a live error. */
export function describeError(error: unknown): string {
  if (error === null || error === undefined) return '';
  if (typeof error !== 'object') return String(error);
  const e = error as { name?: unknown; message?: unknown; cause?: unknown };
  const head = [e.name, e.message].filter((part) => typeof part === 'string' && part).join(': ') || JSON.stringify(error);
  const cause = e.cause !== undefined && e.cause !== null ? describeError(e.cause) : '';
  return cause ? `${head} (cause: ${cause})` : head;
}

/** `key=value …` of the entry's own fields; errors as `error=Name: message (cause: …)`. */
export function fieldsText(entry: Record<string, unknown>, skip: ReadonlySet<string> = CONTEXT_KEYS): string {
  return Object.entries(entry)
    .filter(([key, value]) => !skip.has(key) && value !== undefined)
    .map(([key, value]) => {
      if (key === 'error' && typeof value === 'object') return `error="${describeError(value)}"`;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`;
    })
    .join(' ');
}

/** The short text of a handler's warning or error, for the request line. */
export function problemText(entry: PowertoolsEntry): string {
  const rest = fieldsText(entry);
  return `${entry.level} ${entry.message}${rest ? ` ${rest}` : ''}`;
}

/** `12:03:04` in local time: the terminal is read by a person in front of it. */
export function clock(date: Date = new Date()): string {
  return date.toTimeString().slice(0, 8);
}

/**
 * The terminal: lines, and on a TTY one progress line kept at the bottom (cleared before every
 * other line and drawn again after it). Writes through the original stream methods, so it works
 * while handler output is being captured.
 */
export class Terminal {
  private status = '';
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;
  readonly tty: boolean;

  constructor(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr) {
    const out = stdout.write.bind(stdout);
    const err = stderr.write.bind(stderr);
    this.out = (text) => { out(text); };
    this.err = (text) => { err(text); };
    this.tty = Boolean(stdout.isTTY) && process.env.TERM !== 'dumb';
  }

  line(text: string): void { this.write(this.out, `${text}\n`); }
  error(text: string): void { this.write(this.err, `${text}\n`); }
  /** Raw output (already newline-terminated) to stdout or stderr. */
  raw(text: string, stream: 'out' | 'err' = 'out'): void { this.write(stream === 'out' ? this.out : this.err, text); }

  /** On a TTY: replaces the progress line. Elsewhere: callers decide how often to print a line. */
  progress(text: string): void {
    if (!this.tty) { this.line(text); return; }
    this.status = text;
    this.out(`\r\x1b[K${text}`);
  }

  endProgress(): void {
    if (this.tty && this.status) this.out('\r\x1b[K');
    this.status = '';
  }

  /** Runs `write` (output of someone else) with the progress line cleared before and redrawn after. */
  around<T>(write: () => T): T {
    if (this.tty && this.status) this.out('\r\x1b[K');
    try {
      return write();
    } finally {
      if (this.tty && this.status) this.out(this.status);
    }
  }

  private write(to: (text: string) => void, text: string): void {
    if (this.tty && this.status) this.out('\r\x1b[K');
    to(text);
    if (this.tty && this.status) this.out(this.status);
  }
}

export interface CaptureOptions {
  format: LogFormat;
  terminal: Terminal;
}

/**
 * Reads what handlers write to stdout/stderr: Powertools lines are attributed to their
 * invocation and printed (or folded into the request line, or dropped) according to the format;
 * anything else passes through unchanged. Returns a function that restores the streams.
 */
export function captureHandlerLogs(options: CaptureOptions): () => void {
  const { terminal, format } = options;
  const restore: (() => void)[] = [];
  for (const [stream, name] of [[process.stdout, 'out'], [process.stderr, 'err']] as const) {
    const original = stream.write;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
      if (text !== undefined) {
        const done = typeof encoding === 'function' ? encoding : typeof callback === 'function' ? callback : undefined;
        const lines = text.split('\n').filter((line) => line.trim() !== '');
        const entries = lines.map(parsePowertoolsLine);
        if (lines.length > 0 && entries.every(Boolean)) {
          entries.forEach((entry, i) => handleEntry(entry!, lines[i]!, name));
          if (done) queueMicrotask(() => (done as (error?: Error | null) => void)(null));
          return true;
        }
      }
      // Anything else goes where it was going, with the progress line out of its way.
      return terminal.around(() => (original as (...args: unknown[]) => boolean).call(this, chunk, encoding, callback));
    } as typeof stream.write;
    restore.push(() => { stream.write = original; });
  }

  function handleEntry(entry: PowertoolsEntry, line: string, stream: 'out' | 'err'): void {
    const invocation = invocations.getStore();
    if (invocation?.quiet) return;
    const level = entry.level.toUpperCase();
    const serious = level === 'WARN' || level === 'ERROR' || level === 'CRITICAL';
    if (invocation?.kind === 'http') {
      if (entry.message === 'request') {
        const db = entry.db as { requests?: unknown } | undefined;
        if (typeof db?.requests === 'number') invocation.dbRequests = db.requests;
      } else if (serious) {
        invocation.problems.push(problemText(entry));
      }
      if (format === 'json') terminal.raw(`${line}\n`, stream);
      return;
    }
    if (format === 'json') { terminal.raw(`${line}\n`, stream); return; }
    const source = invocation?.feature ?? String(entry.service ?? 'lambda');
    if (!serious) {
      // The runtime's own lines (scheduler, stream poller) already say that it ran; a job's
      // line is worth reading only when the job did something.
      if (entry.message === 'published') return;
      if (entry.message === 'job finished' && !(Number(entry.processed) > 0)) return;
    }
    const rest = fieldsText(entry);
    const text = `${clock()} [${source}] ${serious ? `${level} ` : ''}${entry.message}${rest ? ` ${rest}` : ''}`;
    if (stream === 'err') terminal.error(text);
    else terminal.line(text);
  }

  return () => { for (const undo of restore) undo(); };
}

/** A gateway log entry (local/gateway.ts) as one readable line. */
export function requestLine(entry: Record<string, unknown>): string {
  const parts = [
    clock(),
    String(entry.method ?? ''),
    String(entry.path ?? ''),
    String(entry.status ?? ''),
    `${String(entry.latencyMs ?? '?')}ms`,
  ];
  if (typeof entry.dbRequests === 'number') parts.push(`db=${entry.dbRequests}`);
  parts.push(`req=${String(entry.requestId ?? '-')}`);
  let text = parts.join(' ');
  if (typeof entry.error === 'string') text += ` error="${entry.error}"`;
  const problems = Array.isArray(entry.problems) ? entry.problems as string[] : [];
  if (problems.length) text += ` — ${problems.join('; ')}`;
  return text;
}
