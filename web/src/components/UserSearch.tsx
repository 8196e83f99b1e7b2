import { useEffect, useState } from 'preact/hooks';
import { me } from '../app/session';
import { api, type UserSummary } from '../lib/api';
import { Avatar } from './Avatar';

interface Props {
  placeholder: string;
  onPick(user: UserSummary): void;
  exclude?: string[];
  testId?: string;
}

/** Username prefix search against GET /api/users?search=, debounced. */
export function UserSearch({ placeholder, onPick, exclude = [], testId = 'user-search' }: Props) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<UserSummary[]>([]);
  const [state, setState] = useState<'idle' | 'loading' | 'error'>('idle');

  useEffect(() => {
    const term = q.trim();
    if (!term) return setResults([]);
    setState('loading');
    let stale = false;
    const t = setTimeout(() => {
      api
        .searchUsers(term)
        .then((r) => !stale && (setResults(r.users), setState('idle')))
        .catch(() => !stale && setState('error'));
    }, 200);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [q]);

  const shown = results.filter((u) => u.id !== me()?.id && !exclude.includes(u.id));
  return (
    <div class="user-search">
      <input type="search" placeholder={placeholder} value={q} onInput={(e) => setQ(e.currentTarget.value)} data-testid={testId} autoCapitalize="off" />
      {q.trim() && (
        <ul class="search-results">
          {state === 'loading' && !shown.length && <li class="muted">Searching…</li>}
          {state === 'error' && <li class="muted">Search failed</li>}
          {state === 'idle' && !shown.length && <li class="muted">No one found</li>}
          {shown.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                class="search-result"
                data-testid="search-result"
                data-username={u.username}
                onClick={() => {
                  onPick(u);
                  setQ('');
                }}
              >
                <Avatar name={u.username} online={u.online} size={32} /> {u.username}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
