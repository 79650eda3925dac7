/**
 * The array a JSON text holds; undefined when the text is missing, not JSON, or not an array.
 * For values read back from headers and Redis fields, where malformed means "not ours", not an
 * error.
 */
export function parseJsonArray(text: string | undefined): unknown[] | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) ? parsed : undefined;
}
