import { describe, expect, it } from '@jest/globals';
import { newSigningSecret, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('a key of at least sixteen characters');
  const id = '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11';

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const secret = newSigningSecret();
    const sealed = box.seal(secret, id);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed, id)).toBe(secret);
    expect(box.seal(secret, id)).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses another key, another endpoint, or a changed ciphertext', () => {
    const sealed = box.seal(newSigningSecret(), id);
    expect(() => new SecretBox('another key of sixteen characters').open(sealed, id)).toThrow();
    expect(() => box.open(sealed, '00000000-0000-4000-8000-000000000000')).toThrow();
    const [v, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64')].join('.'), id)).toThrow();
    expect(() => box.open('garbage', id)).toThrow();
  });

  it('makes Standard Webhooks secrets: whsec_ and 32 random bytes in base64', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });
});
