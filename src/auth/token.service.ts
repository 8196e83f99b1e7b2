import { randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import type { Logger } from 'pino';

export interface TokenClaims {
  userId: string;
  issuedAt: number;
  expiresAt: number;
}

/** Issues and verifies HS256 JWTs (jose). `sub` is the user id; iat/exp in seconds. */
export class TokenService {
  /**
   * The HMAC key, imported into WebCrypto once: handing jose raw bytes makes it import the key
   * on every sign and verify (a visible cost on each connect and REST request).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(secret: string, private readonly ttlSeconds: number) {
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  }

  async issue(userId: string): Promise<{ token: string; expiresAt: number }> {
    // iat in ms precision is not in the JWT standard; keep seconds, and make revocation compare
    // at second precision too (tokens_valid_after is stored floored to a second).
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomBytes(8).toString('hex'))
      .sign(await this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** Returns the claims or null for any invalid, expired or malformed token. */
  async verify(token: unknown): Promise<TokenClaims | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return null;
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') return null;
      return { userId: payload.sub, issuedAt: payload.iat * 1000, expiresAt: payload.exp * 1000 };
    } catch {
      return null;
    }
  }
}

/** JWT_SECRET, else a secret generated once and kept (0600) in DATA_DIR, with a warning. */
export function resolveJwtSecret(configured: string | undefined, dataDir: string, logger: Logger): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    logger.warn({ file }, 'JWT_SECRET not set: using the secret kept in DATA_DIR');
    return readFileSync(file, 'utf8').trim();
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.warn({ file }, 'JWT_SECRET not set: generated a secret and kept it in DATA_DIR');
  return secret;
}
