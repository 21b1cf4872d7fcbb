/**
 * A relative path that names a file inside a folder and nothing else: no absolute path, no
 * backslash, no NUL, no empty, `.` or `..` segment. Pure, so the zip reader, the cut folder
 * reader and the verifier's browser-safe core share one definition.
 */
export function safeRelativePath(relative: string): boolean {
  return (
    relative.length > 0 &&
    !relative.startsWith('/') &&
    !relative.includes('\\') &&
    !relative.includes('\0') &&
    relative.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}
