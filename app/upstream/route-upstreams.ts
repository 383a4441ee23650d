/**
 * The upstreams routing rules name besides the run's own provider (app/config/route-providers),
 * each behind its own SDK client and adapter, by provider name.
 */
import type { RouteProvider } from '../config/route-providers.ts';
import { upstreamAdapter, type Upstream } from './adapters.ts';
import { clientForTarget } from './client.ts';
import type { UpstreamProxy } from './network.ts';

export function routeUpstreams(
  providers: readonly RouteProvider[],
  settings: Parameters<typeof clientForTarget>[1],
  proxy: UpstreamProxy | undefined,
): ReadonlyMap<string, Upstream> {
  return new Map(
    providers.map((provider): [string, Upstream] => [
      provider.name,
      {
        adapter: upstreamAdapter(
          provider.upstreamApi,
          clientForTarget(provider, settings, proxy),
          provider.chatDialect,
        ),
        baseUrl: provider.baseUrl,
        keyEnv: provider.keyEnv,
        keyConfigured: !provider.needsApiKey || provider.apiKey !== undefined,
      },
    ]),
  );
}
