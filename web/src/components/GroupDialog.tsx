import { useState } from 'preact/hooks';
import { createGroup } from '../app/chats';
import { errorText } from '../app/toast';
import type { UserSummary } from '../lib/api';
import { UserSearch } from './UserSearch';

export function GroupDialog({ onClose }: { onClose(): void }) {
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<UserSummary[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await createGroup(title.trim(), members.map((m) => m.id));
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form class="modal" onSubmit={submit} data-testid="group-dialog">
        <h2>New group</h2>
        <label>
          Group name
          <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={200} data-testid="group-title" />
        </label>
        <UserSearch placeholder="Add people by username" exclude={members.map((m) => m.id)} onPick={(u) => setMembers((l) => [...l, u])} testId="group-member-search" />
        <div class="chips">
          {members.map((m) => (
            <span class="chip" key={m.id}>
              {m.username}
              <button type="button" aria-label={`Remove ${m.username}`} onClick={() => setMembers((l) => l.filter((x) => x.id !== m.id))}>
                ×
              </button>
            </span>
          ))}
        </div>
        {error && <p class="form-error">{error}</p>}
        <div class="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button class="primary" disabled={busy || !title.trim()} data-testid="group-create">
            {busy ? 'Creating…' : 'Create group'}
          </button>
        </div>
      </form>
    </div>
  );
}
