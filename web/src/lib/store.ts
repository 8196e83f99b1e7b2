import { useEffect, useRef, useState } from 'preact/hooks';

/** A minimal observable value; components subscribe with useStore(). */
export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(fn: (value: T) => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const subs = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      const v = typeof next === 'function' ? (next as (prev: T) => T)(value) : next;
      if (Object.is(v, value)) return;
      value = v;
      for (const fn of [...subs]) fn(value);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** Re-renders when the selected slice changes (compared with Object.is). */
export function useStore<T, S = T>(store: Store<T>, select: (v: T) => S = (v) => v as unknown as S): S {
  const [, force] = useState(0);
  const ref = useRef({ select, slice: select(store.get()) });
  ref.current.select = select;
  ref.current.slice = select(store.get());
  useEffect(() => {
    const check = (v: T) => {
      const next = ref.current.select(v);
      if (!Object.is(next, ref.current.slice)) force((n) => n + 1);
    };
    const off = store.subscribe(check);
    check(store.get()); // it may have changed between render and this effect
    return off;
  }, [store]);
  return ref.current.slice;
}
