import { PG_ADMIN_URL, REDIS_URL, loudSkip, reachable, servicesRequired } from './services.js';

/** Says loudly, once per run, which real services the suite could not reach. */
export default async function setup(project: { config: { name?: string } }): Promise<void> {
  const name = project.config.name;
  const checks: Array<[string, string]> = [['Redis (' + REDIS_URL + ')', REDIS_URL]];
  if (name === 'postgres') checks.push(['PostgreSQL (' + PG_ADMIN_URL + ')', PG_ADMIN_URL]);
  for (const [label, url] of checks) {
    if (await reachable(url)) continue;
    if (servicesRequired) throw new Error(`${label} is required (REQUIRE_SERVICES=1) but not reachable`);
    loudSkip(label);
  }
}
