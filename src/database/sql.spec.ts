import { describe, expect, it } from '@jest/globals';
import { combineParts } from './sql.js';

describe('combineParts', () => {
  it('renumbers each part after the parameters of the parts before it, whole numbers only', () => {
    const params = Array.from({ length: 10 }, (_, i) => `a${i + 1}`);
    const { text, params: all } = combineParts(
      Object.entries({
        a: { text: 'UPDATE t SET x = $1, y = $10', params },
        b: { text: 'INSERT INTO u SELECT $1::int, $2, $1', params: [7, 'b2'] },
      }),
    );
    expect(text).toBe(
      'WITH a AS (UPDATE t SET x = $1, y = $10),\nb AS (INSERT INTO u SELECT $11::int, $12, $11)\nSELECT 1',
    );
    expect(all).toEqual([...params, 7, 'b2']);
  });

  it('leaves a single part as it is', () => {
    expect(combineParts(Object.entries({ single: { text: 'DELETE FROM t WHERE id = $1', params: ['x'] } }))).toEqual({
      text: 'WITH single AS (DELETE FROM t WHERE id = $1)\nSELECT 1',
      params: ['x'],
    });
  });
});
