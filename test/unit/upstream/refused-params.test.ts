import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  RefusedParams,
  refusedParam,
  withOutputThatFits,
  withoutParam,
} from '../../../app/upstream/refused-params.ts';

const apiError = (status: number, message: string, param: string | null = null) =>
  OpenAI.APIError.generate(
    status,
    { error: { message, type: 'invalid_request_error', param, code: null } },
    undefined,
    new Headers(),
  );

describe('refusedParam', () => {
  it('reads what OpenAI names as refused, by param or by its words', () => {
    expect(
      refusedParam(
        apiError(
          400,
          "Unsupported parameter: 'temperature' is not supported with this model.",
          'temperature',
        ),
      ),
    ).toBe('temperature');
    expect(
      refusedParam(
        apiError(400, "Unsupported value: 'top_p' does not support 0.9 with this model."),
      ),
    ).toBe('top_p');
    expect(
      refusedParam(
        apiError(
          400,
          'Your organization must be verified to generate reasoning summaries.',
          'reasoning.summary',
        ),
      ),
    ).toBe('reasoning.summary');
  });

  it('leaves every other failure as it is', () => {
    expect(
      refusedParam(apiError(400, 'Invalid schema for function Read', 'tools[0]')),
    ).toBeUndefined();
    expect(refusedParam(apiError(500, "'temperature' is not supported"))).toBeUndefined();
    expect(refusedParam(new Error("'temperature' is not supported"))).toBeUndefined();
  });
});

describe('RefusedParams', () => {
  const sent = { model: 'm', temperature: 1, reasoning: { effort: 'low', summary: 'auto' } };
  const refused = apiError(400, "Unsupported parameter: 'temperature'", 'temperature');

  it('learns a refusal the body had, per upstream and model, and leaves it out from then on', () => {
    const params = new RefusedParams();
    expect(params.learn('u m', refused, sent)).toBe('temperature');
    expect(params.apply('u m', sent)).toEqual({
      model: 'm',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expect(params.apply('u other', sent)).toBe(sent);
  });

  it('learns nothing when the body did not send it: that error must stand', () => {
    const params = new RefusedParams();
    expect(params.learn('u m', refused, { model: 'm' })).toBeUndefined();
    expect(params.apply('u m', sent)).toBe(sent);
  });

  it('drops a reasoning summary and keeps the effort', () => {
    expect(withoutParam(sent, 'reasoning.summary')).toEqual({
      model: 'm',
      temperature: 1,
      reasoning: { effort: 'low' },
    });
    const plain = { model: 'm' };
    expect(withoutParam(plain, 'reasoning.summary')).toBe(plain);
  });
});

describe('withOutputThatFits', () => {
  const vllm = (input: number) =>
    apiError(
      400,
      `'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has ${String(input)} input tokens (32000 > 32768 - ${String(input)}).`,
    );

  it('asks for the output that fits beside the prompt, in the field the body used', () => {
    expect(withOutputThatFits(vllm(18000), { model: 'm', max_tokens: 32000 })).toEqual({
      model: 'm',
      max_tokens: 14768,
    });
    expect(withOutputThatFits(vllm(18000), { max_completion_tokens: 32000 })).toEqual({
      max_completion_tokens: 14768,
    });
  });

  it('does not when too little room is left (the prompt must be compacted) or nothing says so', () => {
    expect(withOutputThatFits(vllm(32000), { max_tokens: 32000 })).toBeUndefined();
    expect(withOutputThatFits(vllm(18000), { max_tokens: 10000 })).toBeUndefined();
    expect(withOutputThatFits(apiError(400, 'Bad request'), { max_tokens: 32000 })).toBeUndefined();
  });
});
