// The test PNG decoder against PNGs with every filter type, written by resvg.
import { describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { decodePng, regionStats } from './png.js';

describe('decodePng', () => {
  it('reads back a rendered SVG: white, a red square and a blue band where they were drawn', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="#fff"/><rect x="10" y="5" width="10" height="10" fill="#f00"/><rect x="0" y="20" width="40" height="5" fill="#00f"/></svg>';
    const img = decodePng(new Resvg(svg).render().asPng());
    expect([img.width, img.height]).toEqual([40, 30]);
    const at = (x: number, y: number) => [...img.pixels.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 3)];
    expect(at(0, 0)).toEqual([255, 255, 255]);
    expect(at(15, 10)).toEqual([255, 0, 0]);
    expect(at(39, 22)).toEqual([0, 0, 255]);
    expect(regionStats(img, 0, 0, 40, 4)).toEqual({ colours: 1, inked: 0, coloured: 0 });
    expect(regionStats(img).coloured).toBeCloseTo((100 + 200) / 1200);
  });
});
