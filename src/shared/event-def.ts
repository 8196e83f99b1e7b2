import type { z } from 'zod';
import type { AckFn } from './models.js';

/** Where a failed client event is also reported (protocol.md). */
export type ErrorChannel = 'error' | 'call:error' | 'video:error' | 'screen:error';

/** One client event: its payload schema, what its ack carries on success, its error channel. */
export interface ClientEventDef<P extends z.ZodType = z.ZodType, A extends z.ZodType = z.ZodType> {
  payload: P;
  ack: A;
  channel: ErrorChannel;
  description: string;
}

export const defineClientEvent = <P extends z.ZodType, A extends z.ZodType>(def: ClientEventDef<P, A>) => def;

/** Socket.io listener signature of a client event definition. */
export type ClientListener<D extends ClientEventDef> = (
  payload: z.input<D['payload']>,
  ack?: AckFn<z.infer<D['ack']> & object>,
) => void;

export type ClientEventMap<T extends Record<string, ClientEventDef>> = { [E in keyof T]: ClientListener<T[E]> };
export type ServerEventMap<T extends Record<string, z.ZodType>> = { [E in keyof T]: (payload: z.infer<T[E]>) => void };
