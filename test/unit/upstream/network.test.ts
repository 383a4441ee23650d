import { describe, expect, it } from 'vitest';
import {
  describeProxy,
  upstreamDispatcher,
  upstreamProxyFromEnv,
} from '../../../app/upstream/network.ts';

describe('upstreamProxyFromEnv', () => {
  it('is undefined without a proxy, whatever NO_PROXY says', () => {
    expect(upstreamProxyFromEnv({ NO_PROXY: 'localhost' })).toBeUndefined();
    expect(upstreamProxyFromEnv({ HTTPS_PROXY: '' })).toBeUndefined();
  });

  it('prefers the lower-case names, as curl and Node do', () => {
    expect(
      upstreamProxyFromEnv({
        https_proxy: 'http://new:3128',
        HTTPS_PROXY: 'http://old:3128',
        no_proxy: 'localhost,.corp',
        NO_PROXY: 'localhost',
      }),
    ).toEqual({ httpProxy: '', httpsProxy: 'http://new:3128', noProxy: 'localhost,.corp' });
  });

  it('reads a proxy without a scheme as curl does, as http://, so the dispatcher can be built', () => {
    const proxy = upstreamProxyFromEnv({
      HTTPS_PROXY: '10.0.0.1:3128',
      HTTP_PROXY: 'socks5://s:1080',
    });
    expect(proxy).toEqual({
      httpProxy: 'socks5://s:1080',
      httpsProxy: 'http://10.0.0.1:3128',
      noProxy: '',
    });
    expect(() => upstreamDispatcher(1000, proxy)).not.toThrow();
  });

  it('sends HTTPS through HTTPS_PROXY only, never through HTTP_PROXY', () => {
    expect(upstreamProxyFromEnv({ HTTP_PROXY: 'http://plain:8080' })).toEqual({
      httpProxy: 'http://plain:8080',
      httpsProxy: '',
      noProxy: '',
    });
  });
});

describe('describeProxy', () => {
  it('never shows proxy credentials', () => {
    const shown = describeProxy({
      httpProxy: '',
      httpsProxy: 'http://user:s3cret@proxy.corp:3128',
      noProxy: '',
    });
    expect(shown).toBe('http://***@proxy.corp:3128/');
    expect(shown).not.toContain('s3cret');
  });
});
