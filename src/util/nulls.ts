// JSON null in an --args-file: for an optional key it means "not set". Pipeline tools write null
// for a value they do not have (Jenkins' writeJSON for `sha256: recipe.media.sha256` when the
// recipe has none, `revision: env.GIT_COMMIT` outside a Git checkout), so a null key is dropped
// before validation, at every depth (an update file's {"path": …, "sha256": null} too).
// A required key that is null is then missing, and gets the "--x is required" error.

export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return (value as unknown[]).map((item) => withoutNulls(item)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    ) as T;
  }
  return value;
}
