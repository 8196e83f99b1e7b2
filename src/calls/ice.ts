import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import type { IceServer } from './calls.schema.js';

/**
 * ICE servers for one user: STUN as configured, TURN with time-limited credentials by the
 * coturn REST scheme (use-auth-secret): username `expiry:userId`, credential
 * base64(HMAC-SHA1(secret, username)). TURN needs no per-user state on our side.
 */
export function iceServersFor(ice: Config['ice'], userId: string, now = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (ice.stunUrls.length > 0) servers.push({ urls: [...ice.stunUrls] });
  if (ice.turnUrls.length > 0) {
    if (ice.turnSecret) {
      const username = `${Math.floor(now / 1000) + ice.turnTtlSeconds}:${userId}`;
      const credential = createHmac('sha1', ice.turnSecret).update(username).digest('base64');
      servers.push({ urls: [...ice.turnUrls], username, credential });
    } else {
      // TURN without a shared secret: the server is expected to allow it as configured.
      servers.push({ urls: [...ice.turnUrls] });
    }
  }
  return servers;
}
