/**
 * Writes docs/events.md from the zod schemas: every client event (payload, ack, error channel)
 * and every server notification. The schemas are the one source; `npm run docs` refreshes this
 * file and a test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { renderEventsDoc } from '../src/shared/docs.js';

writeFileSync(new URL('../docs/events.md', import.meta.url), renderEventsDoc());
console.log('docs/events.md written');
