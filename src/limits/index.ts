import type { Services } from '../context.js';
import type { Metrics } from '../metrics/metrics.js';
import { ConnectionLimits } from './connection-limits.js';
import { LoginThrottle } from './login-throttle.js';
import { RateLimiter } from './rate-limit.service.js';
import { RegisterThrottle } from './register-throttle.js';

export { rateClassOf, RateLimiter } from './rate-limit.service.js';
export { LoginThrottle } from './login-throttle.js';
export { RegisterThrottle } from './register-throttle.js';
export { ConnectionLimits, clientIp } from './connection-limits.js';

export interface Limits {
  rateLimiter: RateLimiter;
  loginThrottle: LoginThrottle;
  registerThrottle: RegisterThrottle;
  connections: ConnectionLimits;
  close(): Promise<void>;
}

/**
 * The abuse limits of one app: the per-event rate-limit guard (installed into every client
 * event through services.hooks.guards), the login and registration throttles (middlewares for
 * those routes) and the per-IP connection cap (a Socket.io middleware). Configured by RATE_*,
 * LOGIN_*, REGISTER_* and MAX_CONNECTIONS_PER_IP (docs/configuration.md).
 */
export function installLimits(services: Services, metrics?: Metrics): Limits {
  const { config, logger, state } = services;
  const rateLimiter = new RateLimiter(state, config.rateLimits, logger, (rateClass, scope) =>
    metrics?.rateLimited.inc({ class: rateClass, scope }),
  );
  services.hooks.guards.unshift(rateLimiter.guard());
  const loginThrottle = new LoginThrottle(state, config.login, logger, () => metrics?.loginThrottled.inc());
  const registerThrottle = new RegisterThrottle(state, config.register, logger, () => metrics?.registerThrottled.inc());
  const connections = new ConnectionLimits(config.limits.maxConnectionsPerIp);
  return {
    rateLimiter,
    loginThrottle,
    registerThrottle,
    connections,
    close: async () => {
      await Promise.all([rateLimiter.close(), loginThrottle.close(), registerThrottle.close()]);
    },
  };
}
