import type { EventEmitter } from 'node:events';

/**
 * Heap compaction for objects that live as long as an idle connection. Connection setup leaves
 * slack that V8 keeps for good: listener tables in dictionary mode and arrays grown by push().
 * Neither changes what the objects hold, only how much memory holding it takes; multiplied by
 * tens of thousands of idle connections it is most of what a connection costs above its
 * transport (docs/performance.md, step 12).
 */

type WithListenerTable = EventEmitter & { _events?: Record<PropertyKey, unknown> };

/**
 * An array grown by push() keeps the capacity of its last growth (17 slots for the first push
 * into []); a copy has exactly its length. Nothing is copied when the array is already tight.
 */
export function tight<T>(array: T[]): T[] {
  return array.slice();
}

/** Replaces owner[key] with a tight copy when it is an array (a no-op for anything else). */
export function trimArrayField(owner: object | undefined, key: string): void {
  const record = owner as Record<string, unknown> | undefined;
  const value = record?.[key];
  if (record && Array.isArray(value)) record[key] = tight(value);
}

/**
 * Compacts an EventEmitter's listener table. Node keeps it in a null-prototype object, which V8
 * holds in dictionary mode: a hash table of about 250 bytes even for three listeners. Rebuilt
 * once setup is over it is a fast-mode object whose hidden class every connection shares (as
 * long as nothing is added later: a property added to it gets a hidden class of its own, so call
 * this last). Listener arrays are made tight. Node reads and writes `_events` directly; a later
 * removal only turns the table back into a dictionary. Streams' tables (prefilled objects with a
 * prototype, already fast) keep their object and only get tight arrays.
 */
export function compactListenerTable(emitter: EventEmitter | undefined): void {
  const target = emitter as WithListenerTable | undefined;
  const table = target?._events;
  if (!target || !table) return;
  const nullPrototype = Object.getPrototypeOf(table) === null;
  const compacted = nullPrototype ? (Object.setPrototypeOf({ ...table }, null) as Record<PropertyKey, unknown>) : table;
  for (const key of Reflect.ownKeys(compacted)) {
    const listeners = compacted[key];
    if (Array.isArray(listeners)) compacted[key] = tight(listeners);
  }
  if (nullPrototype) target._events = compacted;
}
