/**
 * Image sizes read from the base64 a request carries, for every format the Anthropic API
 * accepts (PNG, JPEG, GIF, WebP), on images written byte by byte with known sizes.
 */
import { describe, expect, it } from 'vitest';
import { imageSize } from '../../../app/upstream/image-size.ts';
import {
  base64,
  gif,
  jpeg,
  png,
  webpExtended,
  webpLossless,
  webpLossy,
} from '../../support/media-builders.ts';

describe('imageSize', () => {
  it('reads PNG from IHDR', () => {
    expect(imageSize(base64(png(640, 480)))).toEqual({ width: 640, height: 480 });
    expect(imageSize(base64(png(1, 70_000)))).toEqual({ width: 1, height: 70_000 });
  });

  it('reads GIF from the logical screen descriptor', () => {
    expect(imageSize(base64(gif(320, 200)))).toEqual({ width: 320, height: 200 });
  });

  it('reads all three WebP kinds', () => {
    expect(imageSize(base64(webpLossy(300, 200)))).toEqual({ width: 300, height: 200 });
    // The two scaling bits above the 14-bit size are not part of it.
    expect(imageSize(base64(webpLossy(300, 200, 3)))).toEqual({ width: 300, height: 200 });
    expect(imageSize(base64(webpLossless(400, 16_384)))).toEqual({ width: 400, height: 16_384 });
    expect(imageSize(base64(webpExtended(5000, 3000)))).toEqual({ width: 5000, height: 3000 });
  });

  it('reads JPEG from its frame, skipping APP segments, a DHT and an EXIF thumbnail', () => {
    // The EXIF segment holds a 160x120 thumbnail with its own SOF0, and a DHT (0xC4) sits in
    // the SOF marker range: only walking the segments finds the real 4032x3024 frame.
    expect(imageSize(base64(jpeg(4032, 3024)))).toEqual({ width: 4032, height: 3024 });
    expect(imageSize(base64(jpeg(800, 600, { progressive: true })))).toEqual({
      width: 800,
      height: 600,
    });
  });

  it('finds a JPEG frame behind more than 64 KB of metadata', () => {
    const image = jpeg(1920, 1080, { appBytes: 150_000 });
    expect(image.length).toBeGreaterThan(150_000);
    expect(imageSize(base64(image))).toEqual({ width: 1920, height: 1080 });
  });

  it('answers undefined for what it cannot read', () => {
    const bmp = Buffer.from('BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00', 'latin1');
    const jpegWithoutFrame = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9]);
    for (const data of [
      '',
      'not base64 at all',
      base64(bmp),
      base64(png(640, 480).subarray(0, 20)), // cut inside IHDR
      base64(jpeg(640, 480).subarray(0, 40)), // cut before the frame
      base64(jpegWithoutFrame),
      base64(png(0, 480)),
    ]) {
      expect(imageSize(data), data.slice(0, 20)).toBeUndefined();
    }
  });

  it('decodes only the header: a 30 MB image is read in a blink', () => {
    const big = base64(Buffer.concat([png(8000, 6000), Buffer.alloc(22_000_000)]));
    const started = performance.now();
    expect(imageSize(big)).toEqual({ width: 8000, height: 6000 });
    expect(performance.now() - started).toBeLessThan(50);
  });
});
