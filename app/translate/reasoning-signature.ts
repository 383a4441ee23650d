/**
 * Carries an upstream reasoning item through an Anthropic client (T12). The client keeps a
 * thinking block's `signature` verbatim and sends it back on the next turn, so the item rides
 * in it: a namespaced, versioned envelope around base64url JSON. Anything else in a signature
 * (a real Claude signature from a session that began on Anthropic) is not ours and is dropped.
 */
import { fromBase64url, toBase64url } from './base64url.ts';

export const SIGNATURE_PREFIX = 'parley.v1.';

export interface CarriedReasoning {
  readonly id: string;
  readonly encryptedContent: string | null;
  readonly summary: readonly string[];
}

export function encodeReasoningSignature(reasoning: CarriedReasoning): string {
  const payload = { i: reasoning.id, e: reasoning.encryptedContent, s: reasoning.summary };
  return SIGNATURE_PREFIX + toBase64url(JSON.stringify(payload));
}

/** The carried item, or undefined when the signature is not one Parley minted. */
export function decodeReasoningSignature(signature: string): CarriedReasoning | undefined {
  if (!signature.startsWith(SIGNATURE_PREFIX)) return undefined;
  try {
    const parsed: unknown = JSON.parse(fromBase64url(signature.slice(SIGNATURE_PREFIX.length)));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { i, e, s } = parsed as Record<string, unknown>;
    if (typeof i !== 'string' || !(typeof e === 'string' || e === null) || !Array.isArray(s)) {
      return undefined;
    }
    if (!s.every((part): part is string => typeof part === 'string')) return undefined;
    return { id: i, encryptedContent: e, summary: s };
  } catch {
    return undefined;
  }
}
