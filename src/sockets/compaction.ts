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
 * Replaces owner[key] with a copy when it is an array (a no-op for anything else). An array
 * grown by push() keeps the capacity of its last growth (17 slots after the first push into
 * []); slice() allocates exactly its length.
 */
export function trimArrayField(owner: object | undefined, key: PropertyKey): void {
  const record = owner as Record<PropertyKey, unknown> | undefined;
  const value = record?.[key];
  if (record && Array.isArray(value)) record[key] = value.slice();
}

/**
 * The class of compacted listener tables. Its instances have no prototype chain to speak of
 * (the prototype is empty and has none itself), as Node needs of a listener table, but unlike
 * a null-prototype literal they are built from a constructor: V8 keeps them in fast mode and
 * every table with the same listeners shares one hidden class, also after more are added.
 */
class ListenerTable {}
Object.setPrototypeOf(ListenerTable.prototype, null);
Reflect.deleteProperty(ListenerTable.prototype, 'constructor');

/**
 * Compacts an EventEmitter's listener table. Node keeps it in a null-prototype object, which V8
 * holds in dictionary mode: a hash table of about 250 bytes even for three listeners. Rebuilt as
 * a ListenerTable once set-up is over, it is a fast-mode object of a few dozen bytes. Listener
 * arrays are trimmed. Node reads and writes `_events` directly; a later removal turns the table
 * back into a dictionary (compacting it again rebuilds it). Streams' tables (prefilled objects
 * with a prototype, already fast) keep their object and only get their arrays trimmed.
 */
export function compactListenerTable(emitter: EventEmitter | undefined): void {
  const target = emitter as WithListenerTable | undefined;
  const table = target?._events;
  if (!target || !table) return;
  // Node's own tables, and ours again (a removal may have turned one back into a dictionary)
  const prototype: unknown = Object.getPrototypeOf(table);
  const rebuild = prototype === null || prototype === ListenerTable.prototype;
  const compacted = rebuild ? (Object.assign(new ListenerTable(), table) as Record<PropertyKey, unknown>) : table;
  for (const key of Reflect.ownKeys(compacted)) trimArrayField(compacted, key);
  if (rebuild) target._events = compacted;
}
