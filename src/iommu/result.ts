// Expected failures (a bad user pointer, an exhausted allocator) travel as values, the
// way the kernel passes -errno around, so that no documented path can throw.

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: number };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export const OK_VOID: Result<void> = Object.freeze({ ok: true, value: undefined });

/** `errno` is positive (EFAULT, not -EFAULT). */
export function fail<T = never>(errno: number): Result<T> {
  return { ok: false, errno };
}
