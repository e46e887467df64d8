import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The key of development and tests when WEBHOOK_SECRET_KEY is unset (a warning says so in production). */
export const DEVELOPMENT_SECRET_KEY = 'inventory-service-development-webhook-key';
const FORMAT = 'v1';

/** A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Signing secrets at rest: AES-256-GCM under a key derived from
 * WEBHOOK_SECRET_KEY, bound to the endpoint's id (the additional data), so
 * that a database dump alone cannot sign, and a ciphertext copied to another
 * endpoint's row does not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'inventory-service', 'webhook signing secrets', 32));
  }

  seal(plain: string, endpointId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(endpointId));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
      .join('.');
  }

  /** Throws when the text was not sealed by this key for this endpoint. */
  open(sealed: string, endpointId: string): string {
    const [format, iv, tag, data, ...rest] = sealed.split('.');
    if (format !== FORMAT || !iv || !tag || !data || rest.length > 0) throw new Error('not a sealed webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'))
      .setAAD(Buffer.from(endpointId))
      .setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
