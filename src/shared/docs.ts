import { z } from 'zod';
import { clientEvents, serverEvents } from './events.js';

type Json = Record<string, any>;

/** A compact TypeScript-like rendering of a JSON Schema, with the limits that matter to clients. */
function render(s: Json, indent = ''): string {
  if (!s || typeof s !== 'object') return 'unknown';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return alts.map((a: Json) => render(a, indent)).join(' | ');
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return types.map((t) => render({ ...s, type: t }, indent)).join(' | ');
  switch (types[0]) {
    case 'string': {
      const lim = [s.minLength !== undefined && s.minLength > 0 ? `min ${s.minLength}` : '', s.maxLength !== undefined ? `max ${s.maxLength}` : '']
        .filter(Boolean)
        .join(', ');
      return lim ? `string /* ${lim} */` : 'string';
    }
    case 'number':
    case 'integer': {
      const lim = [s.minimum !== undefined ? `≥ ${s.minimum}` : '', s.maximum !== undefined ? `≤ ${s.maximum}` : ''].filter(Boolean).join(', ');
      return lim ? `number /* ${lim} */` : 'number';
    }
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = render(s.items ?? {}, indent);
      const lim = s.maxItems !== undefined ? ` /* max ${s.maxItems} */` : '';
      return `Array<${item}>${lim}`;
    }
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Record<string, Json>);
      if (props.length === 0) return s.additionalProperties && s.additionalProperties !== false ? 'Record<string, unknown>' : '{}';
      const required = new Set<string>(s.required ?? []);
      const inner = indent + '  ';
      const lines = props.map(([k, v]) => `${inner}${k}${required.has(k) ? '' : '?'}: ${render(v, inner)};`);
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    default:
      return 'unknown';
  }
}

function typeBlock(schema: z.ZodType, io: 'input' | 'output'): string {
  let text: string;
  try {
    text = render(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json);
  } catch {
    text = 'unknown';
  }
  return '```ts\n' + text + '\n```';
}

/** The event reference, rendered from the same schemas that validate traffic. */
export function renderEventsDoc(): string {
  const out: string[] = [
    '# Socket.io event reference',
    '',
    'Generated from the zod schemas in `src/**/*.schema.ts` by `npm run docs`; do not edit by hand.',
    'Conventions (acks, errors, rooms, sync) are in [protocol.md](protocol.md).',
    '',
    '## Client → server',
    '',
    'Every event takes an optional acknowledgement callback: `{ok: true, ...ack}` or',
    '`{ok: false, error: {code, message}}`; a failure is also emitted on the error channel named.',
    '',
  ];
  for (const [name, def] of Object.entries(clientEvents)) {
    out.push(`### \`${name}\``, '', def.description, '', `Error channel: \`${def.channel}\``, '');
    out.push('Payload:', '', typeBlock(def.payload, 'input'), '', 'Ack data:', '', typeBlock(def.ack, 'output'), '');
  }
  out.push('## Server → client', '');
  for (const [name, schema] of Object.entries(serverEvents)) {
    out.push(`### \`${name}\``, '', typeBlock(schema as z.ZodType, 'output'), '');
  }
  return out.join('\n');
}
