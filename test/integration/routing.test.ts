/** Routes from the settings file, end to end: the upstream model, its overrides, and the record. */
import { describe, expect, it } from 'vitest';
import { useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();

describe('routing rules', () => {
  it('sends a matching Claude name where its rule says, with the rule’s limits, and records the rule', async () => {
    const { mock, client, proxy } = await startTestProxy({
      file: {
        routes: [
          { match: 'claude-opus-*', model: 'gpt-4.1', maxOutputTokens: 2000, sampling: 'drop' },
        ],
      },
    });
    mock.enqueue({ output: [{ type: 'text', text: 'routed' }] });
    await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 64000,
      messages: [{ role: 'user', content: 'hi' }],
      ...{ temperature: 0.3 },
    });
    expect(mock.requests[0]?.body).toMatchObject({ model: 'gpt-4.1', max_output_tokens: 2000 });
    expect(mock.requests[0]?.body).not.toHaveProperty('temperature');
    const started = proxy.traffic?.recent().find((event) => event.type === 'exchange.started');
    expect(started).toMatchObject({
      clientModel: 'claude-opus-4-8',
      upstreamModel: 'gpt-4.1',
      routingRule: 'rule 1: claude-opus-*',
    });
  });
});
