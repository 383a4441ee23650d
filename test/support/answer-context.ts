import type { AnswerContext } from '../../app/translate/answer-context.ts';

/** What translating an answer needs, for tests: fresh tool ids `toolu_generated_0`, `_1`, ... */
export function testAnswerContext(overrides: Partial<AnswerContext> = {}): AnswerContext {
  let next = 0;
  return {
    messageId: 'msg_test',
    clientModel: 'claude-opus-4-8',
    toolNames: new Map(),
    stopSequences: [],
    inputTokenEstimate: 42,
    newToolUseId: () => `toolu_generated_${String(next++)}`,
    ...overrides,
  };
}
