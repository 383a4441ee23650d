/**
 * Gemini 3's thought signatures through the real proxy: the SDK client streams a turn whose tool
 * call the upstream signed, then sends the tool result as Claude Code does (the whole history,
 * ids echoed verbatim), and the upstream gets the exact signature back beside that call.
 */
import { describe, expect, it } from 'vitest';
import { useTestProxies } from '../support/test-proxy.ts';
import { upstreamCallId } from '../../app/translate/thought-signature.ts';

const startProxyOf = useTestProxies();

const SIGNATURE = 'CsQCAdHtim9+/8Xq0w1Lr/J2pQ==';
const tools = [{ name: 'Read', input_schema: { type: 'object' as const } }];

describe('Gemini thought signatures (gemini preset)', () => {
  it('come back on the next request, from the tool_use id the client echoed', async () => {
    const { mock, client } = await startProxyOf({ file: { provider: 'gemini' } });
    mock.enqueue({
      output: [
        {
          type: 'tool_call',
          name: 'Read',
          arguments: '{"file_path":"/a.ts"}',
          callId: 'function-call-1',
          thoughtSignature: SIGNATURE,
        },
        { type: 'tool_call', name: 'Read', arguments: '{"file_path":"/b.ts"}' },
      ],
    });
    const go = { role: 'user' as const, content: 'read both' };
    const first = await client()
      .messages.stream({ model: 'claude-opus-4-8', max_tokens: 1024, tools, messages: [go] })
      .finalMessage();
    const ids = first.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^toolu_gts_[a-zA-Z0-9_-]+$/);

    mock.enqueue({ output: [{ type: 'text', text: 'Both read.' }] });
    await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 1024,
      tools,
      messages: [
        go,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' })),
        },
      ],
    });
    expect(mock.requests[1]?.path).toBe('/v1/chat/completions');
    // The signed id goes upstream as its short stand-in; the signature goes beside the call.
    const upstreamIds = ids.map(upstreamCallId);
    expect(upstreamIds[0]).toMatch(/^toolu_gts_[0-9a-f]{16}$/);
    const body = mock.requests[1]?.body as { messages: Record<string, unknown>[] };
    expect(body.messages[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { id: upstreamIds[0], extra_content: { google: { thought_signature: SIGNATURE } } },
        { id: upstreamIds[1] },
      ],
    });
    const calls = body.messages[1]?.['tool_calls'] as Record<string, unknown>[];
    expect(calls[1]).not.toHaveProperty('extra_content');
    expect(body.messages.slice(2, 4)).toEqual(
      upstreamIds.map((id) => ({ role: 'tool', tool_call_id: id, content: 'ok' })),
    );
  });
});
