import { expect, test } from 'vitest';
import { z } from 'zod';
import * as authSchema from '../../src/auth/auth.schema.js';
import * as callsSchema from '../../src/calls/calls.schema.js';
import * as chatSchema from '../../src/chat/chat.schema.js';
import * as screenSchema from '../../src/screen/screen.schema.js';
import * as videoSchema from '../../src/video/video.schema.js';
import { clientEvents } from '../../src/shared/events.js';

/**
 * Every string and array a client can send has an upper bound: each client event payload
 * (iterated from clientEvents, so new events are checked) and every exported REST body/query
 * schema (`…Body`, `…Query`) of the feature schema modules. An `unknown` (a WebRTC signal,
 * annotation data) must carry a refinement (its byte-size check).
 */
function unbounded(schema: any, path: string, out: string[], seen = new Set<unknown>()): string[] {
  if (!schema?._zod || seen.has(schema)) return out;
  seen.add(schema);
  const def = schema._zod.def;
  const checks: any[] = def.checks ?? [];
  const hasMax = checks.some((c) => ['max_length', 'length_equals'].includes(c._zod?.def?.check));
  switch (def.type) {
    case 'string':
      if (schema.maxLength == null) out.push(`${path}: string without max length`);
      break;
    case 'array':
      if (!hasMax) out.push(`${path}: array without max length`);
      unbounded(def.element, `${path}[]`, out, seen);
      break;
    case 'set':
    case 'map':
    case 'record':
      if (checks.length === 0) out.push(`${path}: ${def.type} without a bound`);
      if (def.keyType) unbounded(def.keyType, `${path}{key}`, out, seen);
      if (def.valueType) unbounded(def.valueType, `${path}{}`, out, seen);
      break;
    case 'unknown':
    case 'any':
      if (checks.length === 0) out.push(`${path}: ${def.type} without a size check`);
      break;
    case 'object':
      for (const [k, v] of Object.entries(def.shape ?? {})) unbounded(v, `${path}.${k}`, out, seen);
      if (def.catchall && def.catchall._zod.def.type !== 'never') unbounded(def.catchall, `${path}.*`, out, seen);
      break;
    case 'union':
      (def.options ?? []).forEach((o: unknown, i: number) => unbounded(o, `${path}|${i}`, out, seen));
      break;
    case 'intersection':
      unbounded(def.left, path, out, seen);
      unbounded(def.right, path, out, seen);
      break;
    case 'tuple':
      (def.items ?? []).forEach((o: unknown, i: number) => unbounded(o, `${path}[${i}]`, out, seen));
      if (def.rest) unbounded(def.rest, `${path}[...]`, out, seen);
      break;
    case 'pipe':
      unbounded(def.in, path, out, seen);
      break;
    case 'lazy':
      unbounded(def.getter(), path, out, seen);
      break;
    default:
      // optional, nullable, default, prefault, readonly, catch, nonoptional, promise …
      if (def.innerType) unbounded(def.innerType, path, out, seen);
  }
  return out;
}

test('every string and array in every client event payload is capped', () => {
  const problems: string[] = [];
  for (const [event, def] of Object.entries(clientEvents)) unbounded(def.payload, event, problems);
  expect(problems).toEqual([]);
});

test('every string and array in every REST body and query schema is capped', () => {
  const problems: string[] = [];
  const modules = { authSchema, chatSchema, callsSchema, videoSchema, screenSchema } as Record<string, Record<string, unknown>>;
  let checked = 0;
  for (const [mod, exports] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(exports)) {
      if (!/(Body|Query)$/.test(name) || !(value as any)?._zod) continue;
      checked++;
      unbounded(value, `${mod}.${name}`, problems);
    }
  }
  expect(checked).toBeGreaterThanOrEqual(6);
  expect(problems).toEqual([]);
});

test('the walker itself finds what is missing', () => {
  const bad = z.object({ a: z.string(), b: z.array(z.string().max(3)), c: z.unknown(), d: z.record(z.string().max(2), z.number()) });
  expect(unbounded(bad, 'x', [])).toEqual([
    'x.a: string without max length',
    'x.b: array without max length',
    'x.c: unknown without a size check',
    'x.d: record without a bound',
  ]);
});
