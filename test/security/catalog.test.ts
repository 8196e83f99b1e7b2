import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { AppError, ERROR_CODES, ErrorCodes, SOCKET_ERROR_CODES, toAppError } from '../../src/errors.js';

test('the catalog: every code has an HTTP status and a message; the abuse codes have theirs', () => {
  for (const code of ERROR_CODES) {
    expect(ErrorCodes[code].status).toBeGreaterThanOrEqual(400);
    expect(ErrorCodes[code].status).toBeLessThan(600);
    expect(ErrorCodes[code].message).toMatch(/\w/);
  }
  expect(ErrorCodes.RATE_LIMITED.status).toBe(429);
  expect(ErrorCodes.UNAVAILABLE.status).toBe(503);
  expect(ErrorCodes.PAYLOAD_TOO_LARGE.status).toBe(413);
  for (const code of SOCKET_ERROR_CODES) expect(ERROR_CODES).toContain(code);
});

test('docs/protocol.md lists exactly the catalog, with the same HTTP statuses', () => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(ERROR_CODES.map((c) => [c, ErrorCodes[c].status])));
});

test('storage and Redis outages map to UNAVAILABLE', () => {
  const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);
  const unavailable = [
    err({ code: 'ECONNREFUSED' }),
    err({ code: 'SQLITE_BUSY' }, 'database is locked'),
    err({ code: '57P01' }, 'terminating connection due to administrator command'),
    err({ code: '55000' }, 'database "x" is not currently accepting connections'),
    err({ code: '53300' }, 'sorry, too many clients already'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    err({ name: 'MaxRetriesPerRequestError' }, 'Reached the max retries per request limit (which is 1).'),
    new Error('Connection is closed.'),
  ];
  for (const e of unavailable) expect(toAppError(e).code, e.message).toBe('UNAVAILABLE');
});

test('the client\u2019s bad values rejected by PostgreSQL are VALIDATION; anything else is INTERNAL with no detail', () => {
  const e = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  expect(toAppError(e).code).toBe('VALIDATION');
  expect(toAppError(e).message).not.toContain('0x00');
  const internal = toAppError(Object.assign(new Error('column "secret" does not exist'), { code: '42703' }));
  expect(internal.code).toBe('INTERNAL');
  expect(internal.message).toBe(ErrorCodes.INTERNAL.message);
  expect(toAppError('a string').code).toBe('INTERNAL');
  expect(toAppError(null).code).toBe('INTERNAL');
  const own = new AppError('RATE_LIMITED', 'slow down', { retryAfter: 2 });
  expect(toAppError(own).toBody()).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfter: 2 });
});
