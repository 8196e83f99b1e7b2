import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../context.js';
import { currentUser, parse, requireAuth } from '../http/middleware.js';
import { Id } from '../shared/models.js';
import { CallLogQuery } from './calls.schema.js';
import { toLoggedCall } from './calls.mappers.js';
import type { CallRow } from '../db/tables.js';

const ChatParams = z.object({ chatId: Id });

/**
 * REST of calls: ICE servers, the caller's call log (missed calls marked) and a chat's call log
 * (members only; anyone else gets the NOT_FOUND of a missing chat). Pages are newest first.
 */
export function callRoutes(services: Services): Router {
  const router = Router();
  const repo = services.calls.deps.repo;
  const auth = requireAuth(services);

  const page = async (rows: CallRow[], viewerId: string) => {
    const participants = await repo.participantsOf(rows.map((r) => r.id));
    return rows.map((row) => toLoggedCall(row, participants.filter((p) => p.call_id === row.id), viewerId));
  };
  const cursor = async (before: string | undefined) => (before ? await repo.findCall(before) : undefined);

  router.get('/calls/ice-servers', auth, (req, res) => {
    res.json({ iceServers: services.calls.ice(currentUser(req).id) });
  });

  router.get('/calls', auth, async (req, res) => {
    const me = currentUser(req);
    const { limit, before } = parse(CallLogQuery, req.query);
    const rows = await repo.listForUser(me.id, limit, await cursor(before));
    res.json({ calls: await page(rows, me.id) });
  });

  router.get('/chats/:chatId/calls', auth, async (req, res) => {
    const me = currentUser(req);
    const { chatId } = parse(ChatParams, req.params);
    await services.chat.requireMember(chatId, me.id);
    const { limit, before } = parse(CallLogQuery, req.query);
    const rows = await repo.listForChat(chatId, limit, await cursor(before));
    res.json({ calls: await page(rows, me.id) });
  });

  return router;
}
