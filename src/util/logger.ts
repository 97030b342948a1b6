/**
 * The process logger: winston, JSON lines or a pretty console format.
 * Modules take a `Logger` (or a child of it) rather than importing a global.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Also append JSON lines to this file. */
  file?: string;
  /** Colour the pretty format's levels; default: only on a terminal without NO_COLOR (useColor). */
  color?: boolean;
}

/**
 * Whether to write ANSI colours to `stream`: only to a terminal, never when
 * NO_COLOR is set to anything but '' (no-color.org), so a redirected log
 * file holds plain text.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  // The console transport writes every level to stderr.
  const color = options.color ?? useColor(process.stderr);
  const format =
    options.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          ...(color ? [winston.format.colorize({ all: false })] : []),
          winston.format.printf(({ timestamp, level: lvl, message, module, ...rest }) => {
            const fields = Object.entries(rest)
              .filter(([k]) => typeof k === 'string')
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, bigintReplacer)}`)
              .join(' ');
            const scope = module === undefined ? '' : ` [${String(module)}]`;
            return `${String(timestamp)} ${lvl}${scope} ${String(message)}${fields ? ` ${fields}` : ''}`;
          }),
        );
  const transports: winston.transport[] = [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })];
  if (options.file !== undefined) {
    transports.push(
      new winston.transports.File({
        filename: options.file,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  }
  return winston.createLogger({ level, format, transports });
}

/** A logger that writes nothing: for unit tests and library use. */
export function silentLogger(): Logger {
  // Level 'error' too, so `isInfoEnabled()` guards skip building what would not be written.
  return winston.createLogger({ level: 'error', silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
