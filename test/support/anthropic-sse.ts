/** Reads a whole Anthropic SSE body from Parley, frame by frame, for lifecycle checks. */
import { postWithKey } from './test-proxy.ts';

export interface SseFrame {
  readonly event: string;
  readonly data: unknown;
}

export interface RawStream {
  readonly status: number;
  readonly headers: Headers;
  readonly frames: SseFrame[];
}

export async function postForSse(url: string, body: unknown): Promise<RawStream> {
  const response = await postWithKey(url, body);
  const text = await response.text();
  return { status: response.status, headers: response.headers, frames: parseFrames(text) };
}

export function parseFrames(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}
