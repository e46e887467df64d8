import { MigrationInterface, QueryRunner } from 'typeorm';

/** The ledger's types when this migration was written (src/ledger/movement.ts lists them for the code). */
const MOVEMENT_TYPES = [
  'opening',
  'received',
  'adjusted',
  'counted',
  'damaged',
  'transferred_out',
  'transferred_in',
  'reserved',
  'released',
  'expired',
  'committed',
  'restocked',
] as const;

/**
 * The stock ledger: one append-only row for every change of a stock row's on_hand
 * or reserved, numbered 1, 2, 3 … per stock row. `stock.movement_seq` is the
 * number of the row's last movement, and a deferred constraint trigger refuses to
 * commit a stock row whose quantities are not those its last movement says they
 * became: no path, nor a hand-written UPDATE, can change stock without a movement.
 * Existing rows get one `opening` movement each, so the ledger explains every unit
 * from the first start.
 */
export class StockLedger1732700000000 implements MigrationInterface {
  name = 'StockLedger1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stock ADD COLUMN movement_seq integer NOT NULL DEFAULT 0
      CONSTRAINT stock_movement_seq_nonnegative CHECK (movement_seq >= 0)`);

    await q.query(`
      CREATE TABLE stock_movement (
        -- unique by construction, and no index of its own: lists find movements by their filters' indexes
        id bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        item_id uuid NOT NULL,
        warehouse_id uuid NOT NULL,
        seq integer NOT NULL CONSTRAINT stock_movement_seq_positive CHECK (seq >= 1),
        type text NOT NULL CONSTRAINT stock_movement_type_known CHECK (type IN (${MOVEMENT_TYPES.map((t) => `'${t}'`).join(', ')})),
        on_hand_delta integer NOT NULL,
        reserved_delta integer NOT NULL,
        on_hand_after integer NOT NULL,
        reserved_after integer NOT NULL,
        reason text CONSTRAINT stock_movement_reason_length CHECK (char_length(reason) <= 500),
        reference text CONSTRAINT stock_movement_reference_length CHECK (char_length(reference) BETWEEN 1 AND 255),
        actor text NOT NULL,
        request_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stock_movement_changes_something CHECK (on_hand_delta <> 0 OR reserved_delta <> 0),
        CONSTRAINT stock_movement_after_in_range CHECK (reserved_after >= 0 AND reserved_after <= on_hand_after),
        -- the per-row numbering: one movement per number, so a gap or a double shows at once
        CONSTRAINT stock_movement_pkey PRIMARY KEY (item_id, warehouse_id, seq),
        -- the item and warehouse of the tenant; never the stock row itself, which a ledger outlives
        CONSTRAINT stock_movement_item_fk FOREIGN KEY (tenant_id, item_id) REFERENCES item (tenant_id, id),
        CONSTRAINT stock_movement_warehouse_fk FOREIGN KEY (tenant_id, warehouse_id) REFERENCES warehouse (tenant_id, id)
      )`);
    // One index per filter of the movement list, each in the list's order (newest first).
    await q.query(`CREATE INDEX stock_movement_tenant_idx ON stock_movement (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX stock_movement_item_idx ON stock_movement (item_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX stock_movement_warehouse_idx ON stock_movement (warehouse_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX stock_movement_type_idx ON stock_movement (tenant_id, type, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX stock_movement_reference_idx ON stock_movement (tenant_id, reference, created_at DESC, id DESC)
       WHERE reference IS NOT NULL`,
    );

    await q.query(`
      CREATE FUNCTION stock_movement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'stock_movement is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER stock_movement_no_change BEFORE UPDATE OR DELETE ON stock_movement
      FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only()`);
    await q.query(`
      CREATE TRIGGER stock_movement_no_truncate BEFORE TRUNCATE ON stock_movement
      FOR EACH STATEMENT EXECUTE FUNCTION stock_movement_append_only()`);

    await q.query(`
      INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta,
                                  on_hand_after, reserved_after, reason, actor, request_id)
      SELECT tenant_id, item_id, warehouse_id, 1, 'opening', on_hand, reserved, on_hand, reserved,
             'the quantities when the ledger started', 'system', 'migration:StockLedger1732700000000'
      FROM stock WHERE on_hand <> 0 OR reserved <> 0
      ORDER BY tenant_id, item_id, warehouse_id`);
    await q.query(`UPDATE stock SET movement_seq = 1 WHERE on_hand <> 0 OR reserved <> 0`);

    // Checked at commit, once per changed row version: each version must be what the
    // movement of its number says. A row untouched by any movement holds nothing.
    await q.query(`
      CREATE FUNCTION stock_change_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.movement_seq = 0 AND NEW.on_hand = 0 AND NEW.reserved = 0 THEN
          RETURN NULL;
        END IF;
        PERFORM 1 FROM stock_movement m
        WHERE m.item_id = NEW.item_id AND m.warehouse_id = NEW.warehouse_id AND m.seq = NEW.movement_seq
          AND m.on_hand_after = NEW.on_hand AND m.reserved_after = NEW.reserved;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'stock of item % in warehouse % changed without its movement (on_hand %, reserved %, seq %)',
            NEW.item_id, NEW.warehouse_id, NEW.on_hand, NEW.reserved, NEW.movement_seq
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_change_recorded', TABLE = 'stock';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER stock_change_recorded AFTER INSERT OR UPDATE OF on_hand, reserved, movement_seq ON stock
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stock_change_recorded()`);

    // A row holding units never goes: its units would leave with no movement to say so.
    await q.query(`
      CREATE FUNCTION stock_delete_empty_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the stock of item % in warehouse % holds units (on_hand %, reserved %) and cannot be deleted',
          OLD.item_id, OLD.warehouse_id, OLD.on_hand, OLD.reserved
          USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_delete_empty_only', TABLE = 'stock';
      END $$`);
    await q.query(`
      CREATE TRIGGER stock_delete_empty_only BEFORE DELETE ON stock
      FOR EACH ROW WHEN (OLD.on_hand <> 0 OR OLD.reserved <> 0) EXECUTE FUNCTION stock_delete_empty_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER stock_delete_empty_only ON stock`);
    await q.query(`DROP FUNCTION stock_delete_empty_only()`);
    await q.query(`DROP TRIGGER stock_change_recorded ON stock`);
    await q.query(`DROP FUNCTION stock_change_recorded()`);
    await q.query(`DROP TABLE stock_movement`);
    await q.query(`DROP FUNCTION stock_movement_append_only()`);
    await q.query(`ALTER TABLE stock DROP COLUMN movement_seq`);
  }
}
