/**
 * The load run of bench/load.ts, smaller: 200 streaming requests with tool calls at concurrency
 * 32, 5% cut by the client and 5% failed by the upstream mid-stream. Counts are asserted, not
 * timings: every request ends as expected, none violates the lifecycle, none is lost, and every
 * cut or failed upstream request was closed.
 */
import { describe, expect, it } from 'vitest';
import { expectedCounts, runLoad } from '../../bench/load-run.ts';
import { TEST_PROXY_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();

describe('load', () => {
  it.each(['responses', 'chat'] as const)(
    'serves 200 concurrent streams through %s with nothing lost',
    { timeout: 60_000 },
    async (upstreamApi) => {
      const { proxy, mock } = await startTestProxy({ file: { upstreamApi } });
      const figures = await runLoad({
        proxyUrl: proxy.url,
        proxyKey: TEST_PROXY_KEY,
        mock,
        requests: 200,
        concurrency: 32,
      });
      const expected = expectedCounts(200);
      expect(figures.lostReasons).toEqual([]);
      expect(figures).toMatchObject({
        completed: expected.normal,
        cutByClientAsExpected: expected['client-cut'],
        failedByUpstreamAsExpected: expected['upstream-fail'],
        lifecycleViolations: 0,
        lost: 0,
      });
      // Every upstream stream that did not finish was closed: the client cuts reached it.
      const closed = mock.waitForAborts(expected['client-cut'] + expected['upstream-fail']);
      const late = new Promise((_, reject) =>
        setTimeout(() => {
          reject(new Error('upstream streams left open'));
        }, 5_000).unref(),
      );
      await Promise.race([closed, late]);
    },
  );
});
