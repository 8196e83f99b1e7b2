import { pino, type Logger } from 'pino';

/**
 * Structured logs. Redaction is a second line of defence: code never passes tokens or
 * passwords to the logger, and these paths catch any that slip into a logged object.
 */
export function createLogger(level: string, nodeId?: string): Logger {
  return pino({
    level,
    base: nodeId ? { node: nodeId } : {},
    redact: {
      paths: ['token', 'password', '*.token', '*.password', 'auth.token', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
export type { Logger };
