/**
 * Random ids for requests, messages and tool uses. Not secrets, only unique: taken from a pool
 * filled 4 KB at a time, because a call into the system's random source per id showed up in
 * the per-request profile (three ids per request).
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `prefix` followed by `bytes` random bytes in hex. */
export function randomId(prefix: string, bytes = 12): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    offset = 0;
  }
  const id = prefix + pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return id;
}
