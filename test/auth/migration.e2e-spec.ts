import { describe, expect, it } from '@jest/globals';
import { ApiKeyScopes1732740000000 } from '../../src/database/migrations/1732740000000-api-key-scopes.js';
import { scratchDatabase } from '../support/scratch-database.js';

// The scopes migration on a database with keys: every key made before it keeps
// working as it did (`*`), revoked ones stay revoked, and from then on the
// database takes no key without scopes.

const scratch = scratchDatabase('inventory_scopes');

describe('migration ApiKeyScopes1732740000000', () => {
  it('gives every existing key `*`, keeps revocations, and wants scopes from then on', async () => {
    const before = await scratch(ApiKeyScopes1732740000000);
    let tenant: string;
    try {
      [{ id: tenant }] = await before.query(`INSERT INTO tenant (name) VALUES ('old') RETURNING id`);
      await before.query(
        `INSERT INTO api_key (tenant_id, label, key_hash, key_prefix, revoked_at)
         VALUES ($1, 'live', $2, 'inv_live', NULL), ($1, 'gone', $3, 'inv_gone', now())`,
        [tenant, Buffer.alloc(32, 1), Buffer.alloc(32, 2)],
      );
    } finally {
      await before.destroy();
    }

    const after = await scratch();
    try {
      expect(
        await after.query(
          `SELECT label, scopes, revoked_at IS NOT NULL AS revoked, expires_at FROM api_key ORDER BY label`,
        ),
      ).toEqual([
        { label: 'gone', scopes: ['*'], revoked: true, expires_at: null },
        { label: 'live', scopes: ['*'], revoked: false, expires_at: null },
      ]);
      expect(await after.query(`SELECT disabled_at FROM tenant`)).toEqual([{ disabled_at: null }]);
      await expect(
        after.query(`INSERT INTO api_key (tenant_id, label, key_hash, key_prefix) VALUES ($1, 'new', $2, 'inv_new')`, [
          tenant!,
          Buffer.alloc(32, 3),
        ]),
      ).rejects.toThrow(/null value in column "scopes"/);
    } finally {
      await after.destroy();
    }
  });
});
