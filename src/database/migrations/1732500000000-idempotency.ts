import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys: the first request's response, stored in the same transaction
 * as its effect. The row is claimed at the start of that transaction, so a retry
 * arriving meanwhile waits on its unique index entry (and answers 409).
 */
export class Idempotency1732500000000 implements MigrationInterface {
  name = 'Idempotency1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_key (
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        key text NOT NULL CONSTRAINT idempotency_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
        request_hash bytea NOT NULL,
        response_status smallint,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_key`);
  }
}
