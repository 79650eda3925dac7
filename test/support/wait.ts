/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. No fixed sleeps in tests. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 30000, intervalMs = 25, message = 'condition' }: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof message === 'function' ? message() : message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
