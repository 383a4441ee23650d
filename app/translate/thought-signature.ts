/**
 * Carries Gemini's thought signatures through an Anthropic client. Gemini 3 signs its tool calls
 * (`tool_calls[i].extra_content.google.thought_signature`, usually on the first call of a
 * parallel set) and answers 400 to a history whose calls come back unsigned. Anthropic tool_use
 * blocks have no field for it, but clients echo a tool_use id verbatim (in the assistant turn and
 * in tool_result.tool_use_id), so the signature rides in the id: a fixed prefix, then the
 * signature's UTF-8 bytes in base64url (ids must match [a-zA-Z0-9_-]+; re-encoding rather than
 * transliterating keeps any signature exact, base64 or not). Nothing is stored between requests.
 * Parley's own ids are `toolu_` + hex, so they never start with the prefix.
 */
import { asRecord } from './from-responses.ts';

export const SIGNED_TOOL_USE_PREFIX = 'toolu_gts_';

/**
 * Google's documented stand-in for a call whose signature is unknown (a history written by
 * another model): ai.google.dev/gemini-api/docs/thought-signatures.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** How Gemini's OpenAI-compatible endpoint attaches a signature to a tool call. */
export interface ThoughtSignatureContent {
  readonly google: { readonly thought_signature: string };
}

/** The signature on an upstream tool call (or tool-call delta), if it carries a usable one. */
export function thoughtSignatureOf(call: unknown): string | undefined {
  const google = asRecord(asRecord(asRecord(call)['extra_content'])['google']);
  const signature = google['thought_signature'];
  return typeof signature === 'string' && signature !== '' ? signature : undefined;
}

/** The tool_use id that carries this signature back on the next request. */
export function signedToolUseId(signature: string): string {
  return SIGNED_TOOL_USE_PREFIX + toBase64url(signature);
}

/** The signature a tool_use id carries, or undefined for any id Parley did not sign. */
export function thoughtSignatureFromId(id: string): string | undefined {
  if (!id.startsWith(SIGNED_TOOL_USE_PREFIX)) return undefined;
  const encoded = id.slice(SIGNED_TOOL_USE_PREFIX.length);
  try {
    const signature = fromBase64url(encoded);
    // A round trip that differs means the id was not minted here: sending it on would be a 400.
    return signature !== '' && toBase64url(signature) === encoded ? signature : undefined;
  } catch {
    return undefined;
  }
}

export function thoughtSignatureContent(signature: string): ThoughtSignatureContent {
  return { google: { thought_signature: signature } };
}

function toBase64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Throws on anything that is not base64url of valid UTF-8. */
function fromBase64url(encoded: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new Error('not base64url');
  const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
