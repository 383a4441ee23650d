import { describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../app/index.ts';
import { Calibration } from '../../app/upstream/calibration.ts';
import { ProxyController, type ProxyStatus } from '../../main/proxy-controller.ts';

/** A fake proxy that counts how often it was started and closed. */
function fakeProxies(failures: string[] = []) {
  const log: string[] = [];
  let started = 0;
  const start = async (): Promise<ProxyHandle> => {
    await Promise.resolve();
    const failure = failures.shift();
    if (failure !== undefined) throw new Error(failure);
    started += 1;
    const id = started;
    log.push(`start ${id}`);
    return {
      host: '127.0.0.1',
      port: 8400 + id,
      url: `http://127.0.0.1:${8400 + id}`,
      traffic: undefined,
      calibration: new Calibration(),
      close: async () => {
        await Promise.resolve();
        log.push(`close ${id}`);
      },
    };
  };
  return { start, log };
}

describe('ProxyController', () => {
  it('starts, reports running with the URL, and stops', async () => {
    const fake = fakeProxies();
    const controller = new ProxyController(fake.start);
    const seen: ProxyStatus[] = [];
    controller.onStatus((status) => seen.push(status));

    expect(await controller.start()).toEqual({ state: 'running', url: 'http://127.0.0.1:8401' });
    expect(await controller.stop()).toEqual({ state: 'stopped' });
    expect(seen.map((status) => status.state)).toEqual(['starting', 'running', 'stopped']);
    expect(fake.log).toEqual(['start 1', 'close 1']);
  });

  it('serialises toggles so a rapid on/off/on never runs two proxies', async () => {
    const fake = fakeProxies();
    const controller = new ProxyController(fake.start);
    await Promise.all([
      controller.setEnabled(true),
      controller.setEnabled(true),
      controller.setEnabled(false),
      controller.setEnabled(true),
    ]);
    expect(fake.log).toEqual(['start 1', 'close 1', 'start 2']);
    expect(controller.status).toEqual({ state: 'running', url: 'http://127.0.0.1:8402' });
  });

  it('reports a failed start as status and can be started again', async () => {
    const fake = fakeProxies(['port 8419 on 127.0.0.1 is already in use']);
    const controller = new ProxyController(fake.start);
    expect(await controller.start()).toEqual({
      state: 'failed',
      message: 'port 8419 on 127.0.0.1 is already in use',
    });
    expect(await controller.start()).toEqual({ state: 'running', url: 'http://127.0.0.1:8401' });
  });
});
