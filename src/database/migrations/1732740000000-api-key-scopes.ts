import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys that can be scoped, expired, revoked and rotated, and tenants that can be disabled.
 *
 * Every key made before this migration (the bootstrap key included) gets `*`,
 * so that nothing that works today stops working. `scopes` has no default from
 * here on: the service always says which scopes a key has.
 */
export class ApiKeyScopes1732740000000 implements MigrationInterface {
  name = 'ApiKeyScopes1732740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_key
        ADD COLUMN scopes text[] NOT NULL DEFAULT '{*}',
        -- NULL: never expires. A key is refused from expires_at on, whatever the auth cache holds.
        ADD COLUMN expires_at timestamptz,
        -- when a use was last recorded: batched per instance (AUTH_LAST_USED_FLUSH_MS), never a write per request
        ADD COLUMN last_used_at timestamptz,
        -- the key this one was made to replace (POST …/rotate)
        ADD COLUMN rotated_from uuid,
        ADD CONSTRAINT api_key_scopes_known CHECK (
          cardinality(scopes) BETWEEN 1 AND 8
          AND scopes <@ ARRAY['inventory:read', 'inventory:write', 'reservations:write', 'orders:read',
                              'orders:write', 'audit:read', 'webhooks:manage', '*']::text[]
          -- '*' is every scope: alone, or it would say less than it grants
          AND ('*' <> ALL (scopes) OR cardinality(scopes) = 1)
        ),
        ADD CONSTRAINT api_key_expires_after_created CHECK (expires_at > created_at),
        ADD CONSTRAINT api_key_revoked_after_created CHECK (revoked_at >= created_at),
        ADD CONSTRAINT api_key_tenant_id_key UNIQUE (tenant_id, id),
        -- a key replaces a key of its own tenant only
        ADD CONSTRAINT api_key_rotated_from_fkey FOREIGN KEY (tenant_id, rotated_from) REFERENCES api_key (tenant_id, id),
        ADD CONSTRAINT api_key_not_rotated_from_itself CHECK (rotated_from <> id)`);
    await q.query(`ALTER TABLE api_key ALTER COLUMN scopes DROP DEFAULT`);
    await q.query(`CREATE INDEX api_key_list_idx ON api_key (tenant_id, created_at, id)`);
    await q.query(`DROP INDEX api_key_tenant_idx`);

    // A disabled tenant's keys are refused (403 tenant_disabled) until it is enabled again.
    await q.query(`ALTER TABLE tenant ADD COLUMN disabled_at timestamptz`);
    await q.query(`CREATE INDEX tenant_list_idx ON tenant (created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tenant_list_idx`);
    await q.query(`ALTER TABLE tenant DROP COLUMN disabled_at`);
    await q.query(`CREATE INDEX api_key_tenant_idx ON api_key (tenant_id)`);
    await q.query(`DROP INDEX api_key_list_idx`);
    await q.query(`
      ALTER TABLE api_key
        DROP CONSTRAINT api_key_rotated_from_fkey,
        DROP CONSTRAINT api_key_tenant_id_key,
        DROP CONSTRAINT api_key_revoked_after_created,
        DROP COLUMN rotated_from,
        DROP COLUMN last_used_at,
        DROP COLUMN expires_at,
        DROP COLUMN scopes`);
  }
}
