import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batched deliveries, an endpoint's choice: up to `batch_size` events in one
 * message (1, the default: one event per message, as before). A consumer that
 * takes batches costs the service one HTTP request per batch instead of one per
 * event, and a busy stock row's events no longer wait one round trip each.
 */
export class WebhookBatches1732736000000 implements MigrationInterface {
  name = 'WebhookBatches1732736000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_endpoint ADD COLUMN batch_size integer NOT NULL DEFAULT 1
        CONSTRAINT webhook_endpoint_batch_size CHECK (batch_size BETWEEN 1 AND 100)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_endpoint DROP COLUMN batch_size`);
  }
}
