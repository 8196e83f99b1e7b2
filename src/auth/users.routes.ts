import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../context.js';
import { AppError } from '../errors.js';
import { parse, requireAuth } from '../http/middleware.js';
import { Id } from '../shared/models.js';
import { UserSearchQuery } from '../chat/chat.schema.js';
import { toUser } from './auth.service.js';

/** Finding people to talk to: search by username prefix, and one user's public profile. */
export function usersRoutes(services: Services): Router {
  const router = Router();
  router.use('/users', requireAuth(services));

  router.get('/users', async (req, res) => {
    const { search } = parse(UserSearchQuery, req.query);
    const rows = await services.users.searchByPrefix(search, 20);
    const online = await services.presence.onlineAmong(rows.map((r) => r.id));
    res.json({ users: rows.map((r) => toUser(r, online.has(r.id))) });
  });

  router.get('/users/:userId', async (req, res) => {
    const { userId } = parse(z.object({ userId: Id }), req.params);
    const row = await services.users.findById(userId);
    if (!row) throw new AppError('NOT_FOUND', 'User not found');
    res.json({ user: toUser(row, await services.presence.isOnline(row.id)) });
  });

  return router;
}
