import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: endpoints a tenant registers, one delivery per event and endpoint,
 * and every attempt to send it.
 *
 * The relay fans events out from the outbox (the `event` table) by a cursor per
 * endpoint, (cursor_txid, cursor_id), with the feed's rule (only events of
 * transactions older than every one still in flight), so that each event gets
 * exactly one delivery per endpoint; the cursor moves in the transaction that
 * inserts the deliveries. Deliveries are claimed with FOR UPDATE SKIP LOCKED and
 * a lease, so several instances share the work and a crashed one's claims come
 * back when their lease runs out.
 */
export class Webhooks1732730000000 implements MigrationInterface {
  name = 'Webhooks1732730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoint (
        -- made by the service: the encrypted secret is bound to it
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        url text NOT NULL CONSTRAINT webhook_endpoint_url_length CHECK (char_length(url) BETWEEN 1 AND 2048),
        description text CONSTRAINT webhook_endpoint_description_length CHECK (char_length(description) <= 500),
        -- NULL: every event type
        event_types text[] CONSTRAINT webhook_endpoint_event_types_size CHECK (cardinality(event_types) BETWEEN 1 AND 64),
        active boolean NOT NULL DEFAULT true,
        -- the signing secret, AES-256-GCM under WEBHOOK_SECRET_KEY (never the secret itself)
        secret text NOT NULL,
        -- after a rotation, the old secret also signs until previous_secret_until
        previous_secret text,
        previous_secret_until timestamptz,
        -- fan-out position in the tenant's feed: every event after it is yet to get its delivery
        cursor_txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        cursor_id bigint NOT NULL DEFAULT 0,
        -- failed delivery rounds in a row, since when, and no delivery before paused_until
        consecutive_failures integer NOT NULL DEFAULT 0,
        failing_since timestamptz,
        paused_until timestamptz,
        disabled_reason text,
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_endpoint_tenant_id_key UNIQUE (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX webhook_endpoint_list_idx ON webhook_endpoint (tenant_id, created_at, id)`);

    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        -- purged with its event (deliveries give up long before EVENT_RETENTION_DAYS)
        event_id bigint NOT NULL REFERENCES event (id) ON DELETE CASCADE,
        -- the event's stock row and movement number: one endpoint gets a row's deliveries in this order
        item_id uuid,
        warehouse_id uuid,
        seq integer,
        status text NOT NULL DEFAULT 'pending'
          CONSTRAINT webhook_delivery_status CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        -- claimed by a relay until then
        lease_until timestamptz,
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT webhook_delivery_endpoint_fkey FOREIGN KEY (tenant_id, endpoint_id)
          REFERENCES webhook_endpoint (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at, event_id) WHERE status = 'pending'`,
    );
    // An earlier pending delivery of the same stock row holds a later one back.
    await q.query(
      `CREATE INDEX webhook_delivery_row_idx ON webhook_delivery (endpoint_id, item_id, warehouse_id, seq, event_id)
       WHERE status = 'pending' AND item_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX webhook_delivery_list_idx ON webhook_delivery (endpoint_id, created_at, id)`);
    await q.query(`CREATE INDEX webhook_delivery_event_idx ON webhook_delivery (event_id)`);

    await q.query(`
      CREATE TABLE webhook_attempt (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        -- NULL: no HTTP answer (refused, timed out, address not allowed)
        status_code integer,
        error text,
        succeeded boolean NOT NULL
      )`);
    await q.query(`CREATE INDEX webhook_attempt_delivery_idx ON webhook_attempt (delivery_id, id)`);
    // A stock row's events not fanned out yet (after an endpoint's cursor): what holds one of its
    // deliveries back (claimDue). Without it the claim read every event after the cursor, per
    // delivery, and fell further behind the more it lagged.
    await q.query(
      `CREATE INDEX event_stock_row_idx ON event (item_id, warehouse_id, txid, id) WHERE item_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX event_stock_row_idx`);
    await q.query(`DROP TABLE webhook_attempt`);
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook_endpoint`);
  }
}
