/** Traffic events for tests of the bus and the store. */
import type { ExchangeStarted } from '../../app/traffic/traffic-event.ts';

/** An `exchange.started` of a streamed Claude request routed to gpt-5.1; `fields` override. */
export function exchangeStarted(
  fields: Pick<ExchangeStarted, 'exchangeId' | 'seq' | 'at' | 't'> & Partial<ExchangeStarted>,
): ExchangeStarted {
  return {
    type: 'exchange.started',
    method: 'POST',
    route: '/v1/messages',
    clientModel: 'claude-opus-4-8',
    upstreamModel: 'gpt-5.1',
    routingRule: 'main',
    stream: true,
    headers: {},
    request: {},
    ...fields,
  };
}
