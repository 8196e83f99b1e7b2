import { createStore } from '../lib/store';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}
export const toasts = createStore<Toast[]>([]);
let next = 1;

/** Shows a short message; errors stay longer because the user has to read them. */
export function toast(text: string, kind: Toast['kind'] = 'info') {
  const id = next++;
  toasts.set((list) => [...list.slice(-3), { id, text, kind }]);
  setTimeout(() => toasts.set((list) => list.filter((t) => t.id !== id)), kind === 'error' ? 6000 : 3500);
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
export const toastError = (e: unknown) => toast(errorText(e), 'error');
