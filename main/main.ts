/**
 * The desktop app's composition root: one instance, the proxy started from the same settings
 * file `parley serve` reads, stopped cleanly on quit. Tray and inspector window come later.
 */
import { join } from 'node:path';
import { app } from 'electron';
import { createLogger, loadSettings, startProxy } from '../app/index.ts';
import { ProxyController } from './proxy-controller.ts';

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  await app.whenReady();
  const configPath = join(app.getPath('userData'), 'settings.json');
  const controller = new ProxyController(async () => {
    const loaded = await loadSettings({ configPath });
    const logger = createLogger(loaded.settings.logLevel);
    for (const warning of loaded.warnings) logger.warn(warning);
    return startProxy({ loaded, logger });
  });
  controller.onStatus((status) => {
    process.stdout.write(
      `parley: proxy ${status.state}${'url' in status ? ` on ${status.url}` : ''}\n`,
    );
  });
  // A tray app lives without windows.
  app.on('window-all-closed', () => undefined);
  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void controller.stop().finally(() => {
      app.exit(0);
    });
  });
  await controller.start();
}
