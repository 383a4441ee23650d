import { createHash } from 'node:crypto';

/** Hex sha256: 64 characters, what OpenAI's identifier fields accept (T21). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
