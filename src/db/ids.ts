import { v7 } from 'uuid';

/**
 * Ids of stored rows: UUIDv7, which start with the creation time. New rows then append to the
 * primary-key index instead of landing on a random page of it — a SQLite commit writes every
 * page it touched, so a random id cost one more page per message (measured: about a quarter of
 * a batch's storage time). They are not secrets: ids made in the same millisecond differ by a
 * counter, and every use of an id checks membership anyway.
 */
export const newId = (): string => v7();
