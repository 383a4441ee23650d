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
import { fromBase64url, toBase64url } from './base64url.ts';
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

/**
 * The id a call goes upstream under: a signed id is as long as its signature (thousands of
 * characters), and OpenAI refuses call ids over 40 or 64 characters, so a history that moves from
 * Gemini to another model would fail every turn. A hash of it stands in, the same for the call
 * and its result; the signature itself goes beside the call (Gemini) or nowhere.
 */
export function upstreamCallId(id: string): string {
  return id.startsWith(SIGNED_TOOL_USE_PREFIX) ? `${SIGNED_TOOL_USE_PREFIX}${hash64(id)}` : id;
}

/** Two 32-bit FNV-1a passes with different offsets: 16 hex digits, plenty within one history. */
function hash64(text: string): string {
  let low = 0x811c9dc5;
  let high = 0x01000193 ^ text.length;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    low = Math.imul(low ^ code, 0x01000193);
    high = Math.imul(high ^ code, 0x01000193) ^ (low >>> 15);
  }
  return (low >>> 0).toString(16).padStart(8, '0') + (high >>> 0).toString(16).padStart(8, '0');
}

export function thoughtSignatureContent(signature: string): ThoughtSignatureContent {
  return { google: { thought_signature: signature } };
}
