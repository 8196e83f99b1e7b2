import type { ServerEventName, ServerEventPayload } from '../shared/events.js';
import { rooms, type AppServer } from '../sockets/types.js';

/**
 * How the call services reach sockets, without knowing Socket.io: the one port they emit
 * through (also from timers and the sweep). The Socket.io implementation addresses rooms and
 * socket ids, which the adapter routes across nodes.
 */
export interface CallNotifier {
  toRoom<E extends ServerEventName>(room: string | string[], event: E, payload: ServerEventPayload<E>, exceptSocketId?: string | null): void;
  /** Every device of the user (its `user:` room), but the one excepted. */
  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEventPayload<E>, exceptSocketId?: string | null): void;
  toSocket<E extends ServerEventName>(socketId: string, event: E, payload: ServerEventPayload<E>): void;
  join(socketId: string, roomNames: string[]): void;
  leave(socketId: string, roomNames: string[]): void;
  /** Everyone out of the call's rooms (the call ended). */
  dissolve(callId: string): void;
}

export const callRooms = (callId: string) => [rooms.call(callId), rooms.video(callId), rooms.screen(callId)];

type Emit = (event: string, payload: unknown) => boolean;

export function socketNotifier(io: AppServer): CallNotifier {
  const target = (room: string | string[], except?: string | null) => (except ? io.to(room).except(except) : io.to(room));
  return {
    toRoom: (room, event, payload, except) => (target(room, except).emit as Emit)(event, payload),
    toUser: (userId, event, payload, except) => (target(rooms.user(userId), except).emit as Emit)(event, payload),
    toSocket: (socketId, event, payload) => (io.to(socketId).emit as Emit)(event, payload),
    join: (socketId, roomNames) => io.in(socketId).socketsJoin(roomNames),
    leave: (socketId, roomNames) => io.in(socketId).socketsLeave(roomNames),
    dissolve: (callId) => io.in(callRooms(callId)).socketsLeave(callRooms(callId)),
  };
}

/** Until the app wires Socket.io in, nothing is sent (services built without sockets, e.g. scripts). */
export const silentNotifier: CallNotifier = {
  toRoom: () => {},
  toUser: () => {},
  toSocket: () => {},
  join: () => {},
  leave: () => {},
  dissolve: () => {},
};
