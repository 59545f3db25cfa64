// The simulator's log: pino on stderr, quiet ('warn') unless --log-level says more.
//
// stdout belongs to the guest console, so nothing else may write there. Two formats: 'text'
// (default; one readable line per record, `flashdisco warn: message key=value ...`) and 'json'
// (pino's own JSON lines, for tools). Writes are synchronous so a record logged just before exit
// is not lost. Logging is for setup, teardown and rare events, never the instruction loop.

import { writeSync } from 'node:fs';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Formats one pino JSON record as `flashdisco <level>: <msg> k=v ...`. */
export function formatRecord(json: string): string {
  const rec = JSON.parse(json) as Record<string, unknown>;
  const { level, msg, time: _time, name: _name, ...rest } = rec;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const head = `flashdisco ${LEVEL_NAMES[level as number] ?? String(level)}: ${msg ?? ''}`;
  return fields.length === 0 ? head : `${head} ${fields.join(' ')}`;
}

/** A pino destination that writes readable lines to stderr, synchronously. */
function textDestination(): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line !== '') writeSync(2, formatRecord(line) + '\n');
    },
  };
}

export function createLogger(level: LogLevel = DEFAULT_LOG_LEVEL, format: LogFormat = 'text'): Logger {
  const dest = format === 'json' ? pino.destination({ dest: 2, sync: true }) : textDestination();
  return pino({ name: 'flashdisco', level, base: undefined }, dest);
}

/** A logger that drops everything (library use, tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
