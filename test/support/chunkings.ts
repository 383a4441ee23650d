/** Ways to cut a byte stream, for the chunking-invariance tests of the stream translators. */

/** mulberry32: a tiny seeded PRNG, so a failing chunking can be replayed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* randomChunks(bytes: Uint8Array, seed: number): Generator<Uint8Array> {
  const random = mulberry32(seed);
  for (let at = 0; at < bytes.length;) {
    // Mostly small pieces (mid-line, mid-character), sometimes several events at once.
    const size = random() < 0.8 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * 4096);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

export function* singleBytes(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at++) yield bytes.subarray(at, at + 1);
}
