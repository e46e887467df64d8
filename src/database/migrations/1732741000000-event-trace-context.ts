import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `event.traceparent`: the W3C traceparent of the request whose change the
 * event tells of, when tracing was on and the request traced. The relay sends
 * the event's webhooks in that trace, so that a trace follows a change from the
 * caller through this service to every consumer. Null for what the system does
 * on its own (sweeps, disabled endpoints) and while tracing is off.
 */
export class EventTraceContext1732741000000 implements MigrationInterface {
  name = 'EventTraceContext1732741000000';

  async up(q: QueryRunner): Promise<void> {
    // Nullable without a default: no table rewrite, and nothing for rows written while tracing is off.
    await q.query(`
      ALTER TABLE event ADD COLUMN traceparent text
        CONSTRAINT event_traceparent_format CHECK (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$')`);
    await q.query(
      `COMMENT ON COLUMN event.traceparent IS 'W3C traceparent of the request that made the change (tracing on); webhooks are sent in that trace'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event DROP COLUMN traceparent`);
  }
}
