import { z } from 'zod';
import { defineClientEvent } from '../shared/event-def.js';
import { UserSchema } from '../shared/models.js';

export const Username = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
export const Password = z.string().min(8).max(256);

export const RegisterBody = z.object({ username: Username, password: Password });
export const LoginBody = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) });
export const ChangePasswordBody = z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password });
export const AuthResult = z.object({ token: z.string(), user: UserSchema, expiresAt: z.string() });

export const authClientEvents = {
  'user:authenticate': defineClientEvent({
    payload: z.object({ token: z.string().min(1).max(4096) }),
    ack: z.object({ user: UserSchema, expiresAt: z.string() }),
    channel: 'error',
    description: "Renew a live socket's token in place (same user); the socket then lives until the new expiry.",
  }),
};

export const authServerEvents = {
  /** Sent just before the server closes a socket whose token expired or was revoked. */
  'auth:expired': z.object({ reason: z.enum(['token_expired', 'token_revoked']) }),
};
