import type { EventEmitter } from 'node:events';

/** Rooms that many sockets share and that live long: a user's sockets, a chat's members. */
const SHARED_ROOM = /^(user|chat):/;

/**
 * One string instance per local room name. Socket.io keeps, for every socket, a set of the
 * names of the rooms it is in; each join built its own copy of each name (`chat:` + an id read
 * from storage), so every socket paid for its own copies: about 90 bytes per room per idle
 * connection, times the user's chats. Joining with the name the adapter already uses as its key
 * stores one pointer instead. Mirrors the adapter's own rooms (its create-room and delete-room
 * events), so it holds exactly the user and chat rooms that have a member on this node.
 */
export class RoomNames {
  private readonly names = new Map<string, string>();

  constructor(adapter: EventEmitter) {
    adapter.on('create-room', (room: unknown) => {
      if (typeof room === 'string' && SHARED_ROOM.test(room)) this.names.set(room, room);
    });
    adapter.on('delete-room', (room: unknown) => {
      if (typeof room === 'string') this.names.delete(room);
    });
  }

  /** The instance already in use for this name, or the name itself for a room not yet here. */
  canonical(room: string): string {
    return this.names.get(room) ?? room;
  }

  /** Local shared rooms (for tests and stats). */
  get size(): number {
    return this.names.size;
  }

  /** The ids in this node's rooms named `<prefix><id>` (e.g. `user:`: users with a socket here). */
  *idsWithPrefix(prefix: string): IterableIterator<string> {
    for (const name of this.names.keys()) if (name.startsWith(prefix)) yield name.slice(prefix.length);
  }
}
