import pg from 'pg';

export default async function globalTeardown() {
  if (globalThis.__EMBEDDED_PG__) await globalThis.__EMBEDDED_PG__.close();
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  const name = process.env.TEST_DATABASE_NAME;
  if (adminUrl && name) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
