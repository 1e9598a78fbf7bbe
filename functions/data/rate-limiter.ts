/**
 * Paces bulk writes (backfills, migrations): at most `perSecond` calls of the returned function
 * resolve in any second, spaced evenly, so a long run never takes the table's capacity from
 * the API.
 */
export function rateLimiter(perSecond: number): () => Promise<void> {
  const gapMs = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + gapMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}
