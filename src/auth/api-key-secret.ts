import { createHash, randomBytes } from 'node:crypto';

export interface NewApiKey {
  /** Shown once, never stored. */
  key: string;
  hash: Buffer;
  prefix: string;
}

/** 256 random bits; SHA-256 is enough to store a secret of that entropy (no slow KDF needed). */
export function generateApiKey(): NewApiKey {
  const key = `inv_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 12) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
