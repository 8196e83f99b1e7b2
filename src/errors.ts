/**
 * The one catalog of error codes (protocol.md). Every failure a client can see is an AppError
 * with one of these codes; anything else is reported as INTERNAL with no detail.
 */
export const ErrorCodes = {
  VALIDATION: { status: 400, message: 'Invalid input' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  FORBIDDEN: { status: 403, message: 'Not allowed' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large' },
  LIMIT_EXCEEDED: { status: 422, message: 'Limit exceeded' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;
export const ERROR_CODES = Object.keys(ErrorCodes) as ErrorCode[];

/** Codes a socket ack may carry (protocol.md lists exactly these). */
export const SOCKET_ERROR_CODES = [
  'VALIDATION',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Seconds to wait before retrying (RATE_LIMITED). */
  retryAfter?: number;
  /** Field-level problems (VALIDATION). */
  details?: Array<{ path: string; message: string }>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  readonly details: ErrorBody['details'];

  constructor(code: ErrorCode, message?: string, extra: { retryAfter?: number; details?: ErrorBody['details'] } = {}) {
    super(message ?? ErrorCodes[code].message);
    this.name = 'AppError';
    this.code = code;
    this.retryAfter = extra.retryAfter;
    this.details = extra.details;
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.retryAfter !== undefined) body.retryAfter = this.retryAfter;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/** Storage-layer failures that mean "try again later" rather than "bug". */
// Node socket errors; SQLite lock contention; PostgreSQL admin/crash shutdown, cannot connect now,
// too many connections, connection exceptions (class 08), and a database closed to connections (55000).
const UNAVAILABLE_HINTS = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '55000',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
];
// pg pool and client messages, SQLite's lock message, and ioredis's when Redis is down.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connect ECONNREFUSED|database is locked|Connection is closed|timeout exceeded when trying to connect|not currently accepting connections|terminating connection|max retries per request|Stream isn't writeable/i;

function looksUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_HINTS.includes(code)) return true;
  if ((err as { name?: unknown }).name === 'MaxRetriesPerRequestError') return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

// PostgreSQL data exceptions caused by the client's values (NUL or bad bytes in text, too long,
// out of range, not a number): the input's fault, so VALIDATION, never INTERNAL.
const INVALID_INPUT_CODES = ['22021', '22P05', '22001', '22003', '22P02'];

/** Maps anything thrown to a catalogued AppError; unknown errors become INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (looksUnavailable(err)) return new AppError('UNAVAILABLE');
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && INVALID_INPUT_CODES.includes(code)) return new AppError('VALIDATION', 'Invalid characters or value');
  return new AppError('INTERNAL');
}

/** Socket acks may not carry UNAUTHORIZED/PAYLOAD_TOO_LARGE; map them onto the socket set. */
export function toSocketCode(code: ErrorCode): SocketErrorCode {
  if (code === 'UNAUTHORIZED') return 'FORBIDDEN';
  if (code === 'PAYLOAD_TOO_LARGE') return 'VALIDATION';
  return code;
}
