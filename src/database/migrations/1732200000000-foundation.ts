import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants, API keys, warehouses, items, stock and the append-only audit log.
 * Invariants live here: quantities can never go negative, reserved can never
 * exceed on hand, and stock can only point at an item and a warehouse of its own tenant.
 */
export class Foundation1732200000000 implements MigrationInterface {
  name = 'Foundation1732200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CONSTRAINT tenant_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenant_name_key UNIQUE (name)
      )`);

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        label text NOT NULL CONSTRAINT api_key_label_length CHECK (char_length(label) BETWEEN 1 AND 100),
        key_hash bytea NOT NULL CONSTRAINT api_key_hash_length CHECK (octet_length(key_hash) = 32),
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT api_key_hash_key UNIQUE (key_hash)
      )`);
    await q.query(`CREATE INDEX api_key_tenant_idx ON api_key (tenant_id)`);

    await q.query(`
      CREATE TABLE warehouse (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        code text NOT NULL CONSTRAINT warehouse_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
        name text NOT NULL CONSTRAINT warehouse_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
        priority integer NOT NULL DEFAULT 0 CONSTRAINT warehouse_priority_range CHECK (priority BETWEEN -1000000 AND 1000000),
        is_default boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT warehouse_tenant_id_key UNIQUE (tenant_id, id),
        CONSTRAINT warehouse_code_key UNIQUE (tenant_id, code)
      )`);
    await q.query(`CREATE UNIQUE INDEX warehouse_one_default_key ON warehouse (tenant_id) WHERE is_default`);

    await q.query(`
      CREATE TABLE item (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        sku text CONSTRAINT item_sku_format CHECK (sku ~ '^[A-Z0-9][A-Z0-9._-]{0,63}$'),
        name text NOT NULL CONSTRAINT item_name_format CHECK (char_length(name) BETWEEN 1 AND 255 AND name = btrim(name)),
        description text CONSTRAINT item_description_length CHECK (char_length(description) <= 2000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT item_tenant_id_key UNIQUE (tenant_id, id)
      )`);
    // Names and SKUs are unique among live items only: a deleted item frees them.
    await q.query(`CREATE UNIQUE INDEX item_name_live_key ON item (tenant_id, name) WHERE deleted_at IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX item_sku_live_key ON item (tenant_id, sku) WHERE deleted_at IS NULL AND sku IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE stock (
        tenant_id uuid NOT NULL,
        item_id uuid NOT NULL,
        warehouse_id uuid NOT NULL,
        on_hand integer NOT NULL DEFAULT 0,
        reserved integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (item_id, warehouse_id),
        CONSTRAINT stock_item_fk FOREIGN KEY (tenant_id, item_id) REFERENCES item (tenant_id, id),
        CONSTRAINT stock_warehouse_fk FOREIGN KEY (tenant_id, warehouse_id) REFERENCES warehouse (tenant_id, id),
        CONSTRAINT stock_on_hand_nonnegative CHECK (on_hand >= 0),
        CONSTRAINT stock_reserved_nonnegative CHECK (reserved >= 0),
        CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand)
      )`);
    await q.query(`CREATE INDEX stock_warehouse_idx ON stock (warehouse_id)`);

    await q.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        actor text NOT NULL,
        action text NOT NULL,
        object_type text NOT NULL,
        object_id uuid NOT NULL,
        old_value jsonb,
        new_value jsonb,
        request_id text NOT NULL,
        -- clock_timestamp, not now(): rows of one transaction keep their order
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX audit_log_tenant_created_idx ON audit_log (tenant_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX audit_log_object_idx ON audit_log (tenant_id, object_type, object_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_append_only()`);
    await q.query(`DROP TABLE stock`);
    await q.query(`DROP TABLE item`);
    await q.query(`DROP TABLE warehouse`);
    await q.query(`DROP TABLE api_key`);
    await q.query(`DROP TABLE tenant`);
  }
}
