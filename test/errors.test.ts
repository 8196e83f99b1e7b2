import { expect, test } from 'vitest';
import { AppError, ERROR_CODES, ErrorCodes, SOCKET_ERROR_CODES, toAppError, toSocketCode } from '../src/errors.js';

test('every code in the catalog has an HTTP status and a message', () => {
  for (const code of ERROR_CODES) {
    expect(ErrorCodes[code].status).toBeGreaterThanOrEqual(400);
    expect(ErrorCodes[code].message.length).toBeGreaterThan(0);
  }
});

test('socket codes are exactly protocol.md\u2019s list, and every catalog code maps onto one', () => {
  expect([...SOCKET_ERROR_CODES].sort()).toEqual(
    ['VALIDATION', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'LIMIT_EXCEEDED', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL'].sort(),
  );
  for (const code of ERROR_CODES) expect(SOCKET_ERROR_CODES).toContain(toSocketCode(code));
});

test('unknown errors become INTERNAL without their message; storage outages become UNAVAILABLE', () => {
  const internal = toAppError(new Error('relation "secret_table" does not exist'));
  expect(internal.code).toBe('INTERNAL');
  expect(internal.message).not.toContain('secret_table');
  expect(toAppError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).code).toBe('UNAVAILABLE');
  expect(toAppError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })).code).toBe('UNAVAILABLE');
  const own = new AppError('RATE_LIMITED', 'slow down', { retryAfter: 3 });
  expect(toAppError(own)).toBe(own);
  expect(own.toBody()).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfter: 3 });
  expect(own.status).toBe(429);
});
