import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Services } from '../context.js';
import type { UserRow } from '../db/tables.js';
import { AppError, toAppError } from '../errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    user?: UserRow;
  }
}

/** Parses with a zod schema or throws a catalogued VALIDATION error listing the problems. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('VALIDATION', 'Invalid input', {
      details: result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

/** `Authorization: Bearer <token>` → req.user, else 401. */
export function requireAuth(services: Services): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '') : undefined;
    const result = token ? await services.auth.authenticate(token) : null;
    if (!result) return next(new AppError('UNAUTHORIZED', 'Missing or invalid token'));
    req.user = result.user;
    next();
  };
}

export function currentUser(req: Request): UserRow {
  if (!req.user) throw new AppError('UNAUTHORIZED');
  return req.user;
}

/** The one error answer: `{error:{code,message}}` with the catalog's status; never a stack. */
export function errorHandler(services: Services) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let appError: AppError;
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') appError = new AppError('PAYLOAD_TOO_LARGE');
    else if (e?.type === 'entity.parse.failed') appError = new AppError('VALIDATION', 'Malformed JSON');
    // Express and body-parser mark the client's own faults (a path that is not valid UTF-8
    // percent-encoding, an unsupported charset, too many parameters) with a 4xx status.
    else if (!(err instanceof AppError) && typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      appError = e.status === 413 ? new AppError('PAYLOAD_TOO_LARGE') : new AppError('VALIDATION', 'Malformed request');
    } else appError = toAppError(err);
    if (appError.code === 'INTERNAL' || appError.code === 'UNAVAILABLE') {
      services.logger.error({ err, method: req.method, path: req.path }, 'request failed');
    }
    if (appError.retryAfter !== undefined) res.setHeader('Retry-After', String(appError.retryAfter));
    res.status(appError.status).json({ error: appError.toBody() });
  };
}
