/**
 * How upstream requests reach the network: one undici dispatcher per SDK client, which bounds
 * the TCP/TLS connect (a host that never answers the handshake is not waited on for the whole
 * request timeout) and goes through HTTP(S)_PROXY unless NO_PROXY says otherwise. An extra CA
 * needs nothing here: Node reads NODE_EXTRA_CA_CERTS itself at start, and undici uses node:tls.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/** The proxy settings of the environment (lower-case names count too, as curl reads them). */
export interface UpstreamProxy {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

export function upstreamProxyFromEnv(env: NodeJS.ProcessEnv): UpstreamProxy | undefined {
  const pick = (...names: string[]): string | undefined =>
    names.map((name) => env[name]).find((value) => value !== undefined && value !== '');
  const httpProxy = pick('HTTP_PROXY', 'http_proxy');
  const httpsProxy = pick('HTTPS_PROXY', 'https_proxy') ?? httpProxy;
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  const noProxy = pick('NO_PROXY', 'no_proxy');
  return {
    ...(httpProxy === undefined ? {} : { httpProxy }),
    ...(httpsProxy === undefined ? {} : { httpsProxy }),
    ...(noProxy === undefined ? {} : { noProxy }),
  };
}

export function upstreamDispatcher(
  connectTimeoutMs: number,
  proxy: UpstreamProxy | undefined,
): Dispatcher {
  const connect = { timeout: connectTimeoutMs };
  return proxy ? new EnvHttpProxyAgent({ ...proxy, connect }) : new Agent({ connect });
}

/** The proxy for the log line, without credentials. */
export function describeProxy(proxy: UpstreamProxy): string {
  const url = proxy.httpsProxy ?? proxy.httpProxy ?? '';
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, '//***@');
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***';
    parsed.password = '';
  }
  return parsed.toString();
}
