/**
 * The recorded corpus lives beside the repo in ../shared/fixtures (never copied in). CI always
 * has it, so there a missing corpus fails; on a contributor's machine the tests skip with a notice.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const sharedFixturesDir = fileURLToPath(
  new URL('../../../shared/fixtures/', import.meta.url),
);

export function sharedFixturesAvailable(): boolean {
  if (existsSync(sharedFixturesDir)) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`CI=true but the shared fixtures are missing at ${sharedFixturesDir}`);
  }
  process.stderr.write(
    `notice: ${sharedFixturesDir} is absent, skipping the tests that read recorded fixtures\n`,
  );
  return false;
}
