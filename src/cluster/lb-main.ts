import { startLoadBalancer } from './load-balancer.js';

/**
 * The load balancer as a process (docker-compose): LB_PORT (default 3001), LB_BACKENDS
 * (comma-separated node URLs), LB_HEALTH_INTERVAL_MS (default 1000).
 */
const backends = (process.env.LB_BACKENDS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
if (backends.length === 0) {
  console.error('LB_BACKENDS is required: comma-separated node URLs, e.g. http://app1:3001,http://app2:3001');
  process.exit(1);
}
const lb = await startLoadBalancer({
  port: Number(process.env.LB_PORT ?? 3001),
  host: process.env.LB_HOST ?? '0.0.0.0',
  backends,
  healthIntervalMs: Number(process.env.LB_HEALTH_INTERVAL_MS ?? 1000),
  log: (msg) => console.log(`[lb] ${msg}`),
});
console.log(`[lb] listening on ${lb.port} → ${backends.join(', ')}`);
const stop = () => void lb.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
