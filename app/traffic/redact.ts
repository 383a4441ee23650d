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

/**
 * The credentials in headers named like secrets (a gateway's own auth in `upstreamHeaders`), for
 * the list of secrets redacted by value: an upstream error may echo one back.
 */
export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers).flatMap(([name, value]) =>
    secretName.test(name) ? [value, value.replace(/^(bearer|basic|token)\s+/i, '')] : [],
  );
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
  const known = knownSecrets(secrets);
  if (known.length === 0) return (text) => text;
  const holdsSecret = secretTest(known);
  const every = secretPattern(known);
  return (text) => (holdsSecret(text) ? text.replace(every, REDACTED) : text);
}

/** Short values would match by accident and protect nothing; keys are long. */
function knownSecrets(secrets: readonly (string | undefined)[]): string[] {
  return secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 8);
}

/**
 * Whether a text holds one of the secrets: one `includes` each. Over an exchange's 50 KB of
 * stream texts a single regular expression takes 5 µs in a loop against 20, but inside the
 * running server (profiled, 3,600 exchanges) it took 58 µs against 37: there it mostly ran in
 * V8's regexp interpreter, which tiers up per expression (with --no-regexp-tier-up, 8 µs).
 */
function secretTest(known: readonly string[]): (text: string) => boolean {
  return (text) => {
    for (const secret of known) if (text.includes(secret)) return true;
    return false;
  };
}

/** Every secret, longest first so a secret containing another is replaced whole. */
function secretPattern(known: readonly string[]): RegExp {
  const alternatives = [...known]
    .sort((a, b) => b.length - a.length)
    .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alternatives.join('|'), 'g');
}

/**
 * Returns a function that gives a JSON value with every secret replaced by `[redacted]`. Copy on
 * write: a value without a secret (nearly every stream event) comes back as the same object, so
 * recording costs a scan, not a deep copy.
 */
export function valueRedactor(
  secrets: readonly (string | undefined)[],
): <T extends JsonValue>(value: T) => T {
  if (knownSecrets(secrets).length === 0) return (value) => value;
  const scrub = textRedactor(secrets);
  const walk = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return scrub(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const items: readonly JsonValue[] = value;
      let copy: JsonValue[] | undefined;
      items.forEach((item, index) => {
        const safe = walk(item);
        if (safe !== item) (copy ??= [...items])[index] = safe;
      });
      return copy ?? items;
    }
    const record = value as { readonly [key: string]: JsonValue };
    const entries = Object.entries(record);
    const clean = entries.every(([key, item]) => scrub(key) === key && walk(item) === item);
    // Rare: a secret somewhere inside, so the object is rebuilt (walking it once more).
    return clean
      ? record
      : Object.fromEntries(entries.map(([key, item]) => [scrub(key), walk(item)]));
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
