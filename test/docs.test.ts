import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { renderEventsDoc } from '../src/shared/docs.js';

test.runIf(process.env.TEST_DB !== 'postgres')('docs/events.md is generated from the current schemas (run `npm run docs`)', () => {
  expect(readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8')).toBe(renderEventsDoc());
});
