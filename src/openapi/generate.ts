import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../app.module.js';
import { UNPREFIXED_ROUTES } from '../app.setup.js';
import { validateEnv } from '../config/env.js';
import { createOpenApiDocument, operationId } from './document.js';
import { routeHandlers } from './routes.js';
import { undocumentedProperties } from './validation-constraints.js';

/**
 * `npm run openapi`: writes openapi.json (or prints it with --stdout) without a
 * database. The application graph is built in Nest's preview mode, which scans
 * modules and controllers but instantiates no provider: no connection is made.
 * The defaults stand for the environment, so the file does not depend on who
 * generates it.
 */
async function main(): Promise<void> {
  const env = validateEnv({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(env, 'postgres://unused@127.0.0.1:1/unused'), {
    preview: true,
    logger: false,
  });
  app.setGlobalPrefix('api', { exclude: UNPREFIXED_ROUTES });
  const document = createOpenApiDocument(app);
  // Only the compiled code has every property (the CLI plugin adds them at build time): checked here, not at /docs-json.
  const missing = undocumentedProperties(document, routeHandlers(app, operationId));
  await app.close();
  if (missing.length > 0) {
    throw new Error(
      `The document lacks fields the API accepts: ${missing.join(', ')}. The @nestjs/swagger CLI plugin skips ` +
        'a property when it cannot copy an argument of its decorators (e.g. @Min(-MAX_DELTA): name the value, ' +
        'MIN_DELTA); give it a literal or a named constant, or an @ApiProperty.',
    );
  }
  const text = `${JSON.stringify(document, null, 2)}\n`;
  if (process.argv.includes('--stdout')) {
    process.stdout.write(text);
  } else {
    const target = resolve(process.argv[2] ?? 'openapi.json');
    writeFileSync(target, text);
    console.log(`Wrote ${target}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
