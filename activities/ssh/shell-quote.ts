// The one way a value enters a remote shell command: single-quoted, so the shell expands nothing in it.
// Inputs are validated before this too (release tags, hex digests, absolute paths): quoting is the second wall.

/** `it's` → `'it'\''s'`. Refuses NUL, which no POSIX shell argument can carry. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain NUL');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
