import { Logger } from '@nestjs/common';
import { createApp } from './app.setup.js';
import { validateEnv } from './config/env.js';
import { openDatabase } from './database/open-database.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Main');
  const env = validateEnv(process.env);
  const database = await openDatabase(env);
  logger.log(database.kind === 'embedded' ? `Embedded PostgreSQL, data in ${env.EMBEDDED_PG_DIR}` : 'External PostgreSQL (DATABASE_URL)');

  const app = await createApp(env, database.url);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: finishing in-flight requests and shutting down`);
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(env.PORT);
  logger.log(`Listening on http://localhost:${env.PORT}/api (Swagger UI: http://localhost:${env.PORT}/docs)`);
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
