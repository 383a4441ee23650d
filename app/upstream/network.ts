/**
 * How upstream requests reach the network: one undici dispatcher per SDK client, which bounds
 * the TCP/TLS connect (a host that never answers the handshake is not waited on for the whole
 * request timeout) and goes through HTTP(S)_PROXY unless NO_PROXY says otherwise. An extra CA
 * needs nothing here: Node reads NODE_EXTRA_CA_CERTS itself at start, and undici uses node:tls.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * The proxy settings of the environment, read as curl and Node read them: the lower-case name
 * first; HTTPS requests go through HTTPS_PROXY only (not HTTP_PROXY). NO_PROXY as undici
 * understands it: host names, domains (`.corp`), `*`, with ports; not IP ranges.
 */
export interface UpstreamProxy {
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
}

export function upstreamProxyFromEnv(env: NodeJS.ProcessEnv): UpstreamProxy | undefined {
  const pick = (name: string): string =>
    [env[name.toLowerCase()], env[name]].find((value) => value !== undefined && value !== '') ?? '';
  // As curl reads `10.0.0.1:3128`: an http:// proxy (undici would throw on it at start).
  const withScheme = (value: string): string =>
    value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const proxy = {
    httpProxy: withScheme(pick('HTTP_PROXY')),
    httpsProxy: withScheme(pick('HTTPS_PROXY')),
  };
  if (proxy.httpProxy === '' && proxy.httpsProxy === '') return undefined;
  return { ...proxy, noProxy: pick('NO_PROXY') };
}

export function upstreamDispatcher(
  connectTimeoutMs: number,
  proxy: UpstreamProxy | undefined,
): Dispatcher {
  const timeout = { timeout: connectTimeoutMs };
  if (!proxy) return new Agent({ connect: timeout });
  // Every value is given (an empty one means none), so undici never reads process.env itself;
  // the timeout bounds the connection to the proxy and the TLS tunnelled through it too.
  return new EnvHttpProxyAgent({
    ...proxy,
    connect: timeout,
    proxyTls: timeout,
    requestTls: timeout,
  });
}

/** The proxy for the log line, without credentials. */
export function describeProxy(proxy: UpstreamProxy): string {
  const url = proxy.httpsProxy || proxy.httpProxy;
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, '//***@');
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***';
    parsed.password = '';
  }
  return parsed.toString();
}
