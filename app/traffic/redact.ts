/**
 * Redaction before anything is published (DESIGN.md "Traffic events"). Headers by name, failing
 * closed: anything named like auth, key, token, secret or cookie. Bodies by value: the configured
 * secrets are replaced wherever they appear, so field names such as `max_tokens` survive.
 */
import type { JsonValue } from './traffic-event.ts';

export const REDACTED = '[redacted]';
const secretName = /auth|key|token|secret|cookie|session/i;

export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    redacted[name] = secretName.test(name)
      ? REDACTED
      : Array.isArray(value)
        ? value.join(', ')
        : value;
  }
  return redacted;
}

/** A request URL for a log line: the values of query parameters named like secrets hidden. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((param) => {
      const name = param.split('=')[0] ?? '';
      return secretName.test(decodeURIComponentSafe(name)) ? `${name}=${REDACTED}` : param;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** Returns a function that replaces every secret in a text by `[redacted]`. */
export function textRedactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  // Short values would match by accident and protect nothing; keys are long.
  const known = secrets.filter(
    (secret): secret is string => secret !== undefined && secret.length >= 8,
  );
  return (text) => {
    let result = text;
    for (const secret of known)
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    return result;
  };
}

/** Returns a function that copies a JSON value with every secret replaced by `[redacted]`. */
export function valueRedactor(
  secrets: readonly (string | undefined)[],
): <T extends JsonValue>(value: T) => T {
  if (secrets.every((secret) => secret === undefined || secret.length < 8)) return (value) => value;
  const scrub = textRedactor(secrets);
  const walk = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      const copy: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(value)) copy[scrub(key)] = walk(item);
      return copy;
    }
    return value;
  };
  return <T extends JsonValue>(value: T) => walk(value) as T;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
