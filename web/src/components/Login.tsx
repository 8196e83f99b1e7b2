import { useState } from 'preact/hooks';
import { session, signIn } from '../app/session';
import { errorText } from '../app/toast';
import { useStore } from '../lib/store';

export function Login() {
  const s = useStore(session);
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notice = s.status === 'anon' ? s.notice : undefined;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(mode, username.trim(), password);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <div class="auth-page">
      <form class="auth-card" onSubmit={submit} data-testid="auth-form">
        <div class="brand">
          <span class="brand-logo">✉</span> Messenger
        </div>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'login'} class={mode === 'login' ? 'active' : ''} onClick={() => setMode('login')} data-testid="auth-mode-login">
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={mode === 'register'} class={mode === 'register' ? 'active' : ''} onClick={() => setMode('register')} data-testid="auth-mode-register">
            Create account
          </button>
        </div>
        {notice && <p class="notice">{notice}</p>}
        <label>
          Username
          <input
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            autoComplete="username"
            autoCapitalize="off"
            required
            minLength={mode === 'register' ? 3 : 1}
            maxLength={32}
            pattern={mode === 'register' ? '[A-Za-z0-9_.\\-]+' : undefined}
            title="3–32 letters, digits, _ . -"
            data-testid="auth-username"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'register' ? 8 : 1}
            data-testid="auth-password"
          />
        </label>
        {mode === 'register' && <p class="hint">At least 8 characters.</p>}
        {error && (
          <p class="form-error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <button class="primary wide" disabled={busy} data-testid="auth-submit">
          {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </form>
    </div>
  );
}
