/**
 * Upstream networking that real setups need. HTTP(S)_PROXY and NO_PROXY: Node's own proxy
 * support for fetch (which the `openai` SDK uses), switched on for the process when a proxy is
 * configured. An extra CA needs nothing here: Node reads NODE_EXTRA_CA_CERTS itself at start.
 */
import { setGlobalProxyFromEnv } from 'node:http';

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** Routes upstream requests through the proxy the environment names; returns it, for the log. */
export function useProxyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const proxy = proxyVariables
    .map((name) => env[name])
    .find((value) => value !== undefined && value !== '');
  if (proxy === undefined) return undefined;
  setGlobalProxyFromEnv(env);
  return redactCredentials(proxy);
}

function redactCredentials(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, '//***@');
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***';
    parsed.password = '';
  }
  return parsed.toString();
}
