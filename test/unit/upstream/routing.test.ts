import { describe, expect, it } from 'vitest';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import { globMatches, routeModel, type RoutingTable } from '../../../app/upstream/routing.ts';

const table: RoutingTable = {
  model: 'gpt-5.1',
  smallModel: 'gpt-5-mini',
  routes: [
    {
      match: 'claude-opus-*',
      model: 'gpt-5.1-codex',
      reasoningEffort: 'high',
      maxOutputTokens: 32_000,
    },
    { match: 'my-local', model: 'qwen3-coder', sampling: 'drop' },
    { match: 'claude-*-haiku-?', model: 'gpt-4.1-mini' },
  ],
};

describe('routeModel', () => {
  it('takes the first matching rule, exact or glob, and says which', () => {
    expect(routeModel('claude-opus-4-8', table)).toMatchObject({
      upstreamModel: 'gpt-5.1-codex',
      rule: 'rule 1: claude-opus-*',
    });
    expect(routeModel('my-local', table)).toMatchObject({
      upstreamModel: 'qwen3-coder',
      rule: 'rule 2: my-local',
    });
    expect(routeModel('CLAUDE-3-HAIKU-X', table)).toMatchObject({
      upstreamModel: 'gpt-4.1-mini',
      rule: 'rule 3: claude-*-haiku-?',
    });
  });

  it('falls back to the family defaults, and passes other names through', () => {
    expect(routeModel('claude-sonnet-4-5', table)).toMatchObject({
      upstreamModel: 'gpt-5.1',
      rule: 'main',
    });
    expect(routeModel('claude-haiku-4-5-20251001', table)).toMatchObject({
      upstreamModel: 'gpt-5-mini',
      rule: 'small',
    });
    expect(routeModel('claude-next', table)).toMatchObject({
      upstreamModel: 'gpt-5.1',
      rule: 'claude-default',
    });
    expect(routeModel('deepseek-chat', table)).toMatchObject({
      upstreamModel: 'deepseek-chat',
      rule: 'passthrough',
    });
  });

  it('applies a route’s overrides to the model’s limits', () => {
    const opus = routeModel('claude-opus-4-8', table).capabilities;
    expect(opus.maxOutputTokens).toBe(32_000);
    expect(opus.reasoningEfforts).toEqual(['high']);
    expect(routeModel('my-local', table).capabilities.acceptsSampling).toBe(false);
    expect(routeModel('claude-sonnet-4-5', table).capabilities).toEqual(capabilitiesFor('gpt-5.1'));
  });

  it('lets this run’s --model and --small-model beat the rules for their family only', () => {
    const run = { ...table, runOverrides: { model: 'o3', smallModel: 'gpt-4o-mini' } };
    expect(routeModel('claude-opus-4-8', run)).toMatchObject({
      upstreamModel: 'o3',
      rule: 'this run: --model',
    });
    expect(routeModel('claude-haiku-4-5', run)).toMatchObject({
      upstreamModel: 'gpt-4o-mini',
      rule: 'this run: --small-model',
    });
    expect(routeModel('my-local', run)).toMatchObject({ upstreamModel: 'qwen3-coder' });
  });
});

describe('globMatches', () => {
  it('matches * and ? and nothing else specially', () => {
    expect(globMatches('gpt-5.*', 'gpt-5.1')).toBe(true);
    expect(globMatches('gpt-5.*', 'gpt-5x1')).toBe(false);
    expect(globMatches('a?c', 'abc')).toBe(true);
    expect(globMatches('a?c', 'abbc')).toBe(false);
    expect(globMatches('(x)+', '(x)+')).toBe(true);
  });
});
