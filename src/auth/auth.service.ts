import { newId } from '../db/ids.js';
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../errors.js';
import type { UserRow } from '../db/tables.js';
import type { User } from '../shared/models.js';
import type { TokenService } from './token.service.js';
import type { UsersRepository } from './users.repository.js';

// argon2id (the library's default algorithm) with OWASP's minimum: 19 MiB, 2 passes.
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
// Verifying against this keeps a login for an unknown name as slow as for a known one.
const DUMMY_HASH_PROMISE = hash('dummy-password-for-timing', ARGON2_OPTIONS);

export function toUser(row: UserRow, online?: boolean): User {
  const user: User = {
    id: row.id,
    username: row.username,
    createdAt: new Date(row.created_at).toISOString(),
    lastSeen: row.last_seen_at === null ? null : new Date(row.last_seen_at).toISOString(),
  };
  if (online !== undefined) user.online = online;
  return user;
}

export interface AuthResult {
  token: string;
  user: User;
  expiresAt: string;
}

/** Told when a user's tokens issued before `validAfter` (epoch ms) stop being valid. */
export type TokensRevokedListener = (userId: string, validAfter: number) => void;

export class AuthService {
  private readonly revokedListeners: TokensRevokedListener[] = [];

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokenService,
  ) {}

  async register(username: string, password: string): Promise<AuthResult> {
    const now = Date.now();
    const row: UserRow = {
      id: newId(),
      username,
      username_key: username.toLowerCase(),
      password_hash: await hash(password, ARGON2_OPTIONS),
      created_at: now,
      last_seen_at: null,
      tokens_valid_after: 0,
    };
    if (!(await this.users.insert(row))) throw new AppError('CONFLICT', 'Username is taken');
    return this.issueFor(row);
  }

  async login(username: string, password: string): Promise<AuthResult> {
    const row = await this.users.findByUsername(username);
    const ok = row
      ? await verify(row.password_hash, password).catch(() => false)
      : await verify(await DUMMY_HASH_PROMISE, password).then(() => false);
    if (!row || !ok) throw new AppError('UNAUTHORIZED', 'Wrong username or password');
    return this.issueFor(row);
  }

  /** Changes the password and revokes every token issued before now. */
  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<AuthResult> {
    const row = await this.users.findById(userId);
    if (!row) throw new AppError('UNAUTHORIZED');
    if (!(await verify(row.password_hash, currentPassword).catch(() => false))) {
      throw new AppError('UNAUTHORIZED', 'Wrong password');
    }
    // Tokens carry iat in whole seconds: revoke everything issued up to this second, and let the
    // new token be issued in the next one.
    const cutoff = Math.floor(Date.now() / 1000) * 1000 + 1000;
    await this.users.setPassword(userId, await hash(newPassword, ARGON2_OPTIONS), cutoff);
    // Live sockets on older tokens are closed now, not at their expiry (auth.handlers.ts).
    for (const listener of this.revokedListeners) listener(userId, cutoff);
    // A timer may fire a few ms early by the wall clock (libuv measures from the loop's cached
    // time), so wait until the clock itself has passed the cutoff.
    while (Date.now() < cutoff) await new Promise((r) => setTimeout(r, Math.max(1, cutoff - Date.now())));
    return this.issueFor({ ...row, tokens_valid_after: cutoff });
  }

  /** Verifies a token and loads its user; null when the token or user is not valid (any reason). */
  async authenticate(token: unknown): Promise<{ user: UserRow; expiresAt: number; issuedAt: number } | null> {
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const user = await this.users.findById(claims.userId);
    if (!user || claims.issuedAt < user.tokens_valid_after) return null;
    return { user, expiresAt: claims.expiresAt, issuedAt: claims.issuedAt };
  }

  onTokensRevoked(listener: TokensRevokedListener): void {
    this.revokedListeners.push(listener);
  }

  private async issueFor(row: UserRow): Promise<AuthResult> {
    const { token, expiresAt } = await this.tokens.issue(row.id);
    return { token, user: toUser(row), expiresAt: new Date(expiresAt).toISOString() };
  }
}
