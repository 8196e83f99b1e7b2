import { Router } from 'express';
import type { Services } from '../context.js';
import { currentUser, parse, requireAuth } from '../http/middleware.js';
import { ChangePasswordBody, LoginBody, RegisterBody } from './auth.schema.js';
import { toUser } from './auth.service.js';

export function authRoutes(services: Services): Router {
  const router = Router();

  router.post('/auth/register', async (req, res) => {
    const { username, password } = parse(RegisterBody, req.body);
    res.status(201).json(await services.auth.register(username, password));
  });

  router.post('/auth/login', async (req, res) => {
    const { username, password } = parse(LoginBody, req.body);
    res.json(await services.auth.login(username, password));
  });

  router.get('/me', requireAuth(services), async (req, res) => {
    const user = currentUser(req);
    res.json({ user: toUser(user, await services.presence.isOnline(user.id)) });
  });

  router.post('/auth/password', requireAuth(services), async (req, res) => {
    const body = parse(ChangePasswordBody, req.body);
    res.json(await services.auth.changePassword(currentUser(req).id, body.currentPassword, body.newPassword));
  });

  return router;
}
