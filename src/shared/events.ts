/**
 * The typed Socket.io event maps, derived from the zod schemas of each feature: the one source
 * used by the server, the web client and the tests. docs/protocol.md is generated from the same
 * tables (npm run docs:protocol).
 */
import { authClientEvents, authServerEvents } from '../auth/auth.schema.js';
import { callClientEvents, callServerEvents } from '../calls/calls.schema.js';
import { chatClientEvents, chatServerEvents } from '../chat/chat.schema.js';
import { syncClientEvents } from '../chat/sync.schema.js';
import { notificationServerEvents, presenceServerEvents } from '../presence/presence.schema.js';
import { screenClientEvents, screenServerEvents } from '../screen/screen.schema.js';
import { videoClientEvents, videoServerEvents } from '../video/video.schema.js';
import type { ClientEventMap, ServerEventMap } from './event-def.js';
import { ErrorEventSchema } from './models.js';

export const clientEvents = {
  ...authClientEvents,
  ...chatClientEvents,
  ...syncClientEvents,
  ...callClientEvents,
  ...videoClientEvents,
  ...screenClientEvents,
};

export const serverEvents = {
  ...authServerEvents,
  ...chatServerEvents,
  ...presenceServerEvents,
  ...notificationServerEvents,
  ...callServerEvents,
  ...videoServerEvents,
  ...screenServerEvents,
  error: ErrorEventSchema,
  'call:error': ErrorEventSchema,
  'video:error': ErrorEventSchema,
  'screen:error': ErrorEventSchema,
};

export type ClientEvents = typeof clientEvents;
export type ClientEventName = keyof ClientEvents;
export type ServerEventName = keyof typeof serverEvents;
export type ClientToServerEvents = ClientEventMap<ClientEvents>;
export type ServerToClientEvents = ServerEventMap<typeof serverEvents>;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

export * from './models.js';
