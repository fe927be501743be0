/**
 * VerdictPool.addImage validates in every worker before the first batch: a corrupt image (the
 * shared vectors of test/compiled/image-vectors.ts) is refused naming its broken invariant,
 * never answered by a worker's JS kernel (F4: "allowed" for a denied flow); the pool stays
 * usable for valid images.
 */
import { expect, test } from 'vitest';
import { Kernel, VerdictPool } from '@netpol/core';
import { encodeBatch } from '../helpers.js';
import { validImage, vectorFlows, vectors } from '../compiled/image-vectors.js';

const shared = (image: ArrayBuffer): SharedArrayBuffer => {
  const sab = new SharedArrayBuffer(image.byteLength);
  new Uint8Array(sab).set(new Uint8Array(image));
  return sab;
};

test('addImage refuses every corrupt image with its invariant, then serves a valid one', async () => {
  const pool = await VerdictPool.create({ workers: 2 });
  try {
    let id = 1;
    for (const v of vectors) {
      for (const mutable of [false, true]) {
        await expect(pool.addImage(id, shared(v.image()), { mutable }), v.name).rejects.toThrow(
          new RegExp(`image ${id} refused: .*netpol image: ${v.invariant}: `),
        );
        await expect(pool.verdictBatch(id, encodeBatch(vectorFlows))).rejects.toThrow(/unknown image id/);
        id++;
      }
    }
    await pool.addImage(id, shared(validImage));
    const b = encodeBatch(vectorFlows);
    const expected = new Uint8Array(b.count);
    new Kernel(validImage).verdictBatch(b, expected);
    expect([...(await pool.verdictBatch(id, b))]).toEqual([...expected]);
  } finally {
    await pool.close();
  }
});
