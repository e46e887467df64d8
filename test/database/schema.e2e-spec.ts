import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TABLES } from '../../src/database/unit-of-work.js';

describe('the schema', () => {
  it('has exactly the tables UnitOfWork knows (a part named like a table would hide it)', async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'typeorm_migrations'`,
      );
      expect(rows.map((r) => r.name).sort()).toEqual([...TABLES].sort());
    } finally {
      await client.end();
    }
  });
});
