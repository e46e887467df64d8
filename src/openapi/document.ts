import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SCOPE_EXTENSION } from '../auth/route-access.js';
import { type RouteScope, scopesGranting } from '../auth/scopes.js';
import { METRICS_TOKEN_SCHEME } from './api-responses.js';
import { documentRouteBehaviour } from './route-documentation.js';
import { routeHandlers } from './routes.js';
import { applyValidationConstraints } from './validation-constraints.js';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';

const DESCRIPTION = `Stock, reservations, orders and their audit trail. Never oversells, never loses a unit.

**Conventions.** JSON in and out, snake_case fields. Success: \`{ "request_id", "data" }\`; lists add
\`"page": { "next_cursor", "limit" }\` (keyset pagination: pass \`next_cursor\` as \`?cursor=\`).
Errors, for every status and route: \`{ "request_id", "error", "message", "details"? }\` with a stable \`error\` code.
Every response carries \`X-Request-Id\` (a sane incoming one is reused).

**Auth.** \`Authorization: Bearer <API key>\`: click *Authorize* and paste a tenant key (\`/api/admin\` takes ADMIN_TOKEN).
Each tenant route needs one scope of the key, named in its description and in \`x-required-scope\`
(\`inventory:write\` includes \`inventory:read\`, \`orders:write\` includes \`orders:read\`, \`*\` is every scope);
a key without it gets \`403 insufficient_scope\`.

**Writes** accept an \`Idempotency-Key\` header: the same key and request replays the first response.`;

/** The OpenAPI document of the application: served at /docs-json and written to openapi.json. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('inventory-service')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    // package.json's "license": the service is not licensed to others (npm's meaning of UNLICENSED).
    .setLicense('UNLICENSED', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
    // Relative: the host that serves this document (Swagger UI's "Try it out" calls the instance it is on).
    .addServer('/', 'The instance serving this document (http://localhost:3000 after `npm start`)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A tenant API key (or ADMIN_TOKEN for /api/admin)' })
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the service is configured with one' },
      METRICS_TOKEN_SCHEME,
    )
    .addTag('items', 'Items and their stock per warehouse')
    .addTag('warehouses', 'Where stock is kept, in allocation order')
    .addTag('reservations', 'All-or-nothing holds on stock, with a TTL')
    .addTag('orders', 'Orders, their lines and their state machine')
    .addTag('audit', 'Who changed what')
    .addTag('auth', 'The API key in use')
    .addTag('admin', 'Tenants and API keys (ADMIN_TOKEN)')
    .addTag('operations', 'Health probes and metrics (outside /api, no API key)')
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationId });
  const routes = routeHandlers(app, operationId);
  return describeScopes(documentRouteBehaviour(applyValidationConstraints(document, routes), routes));
}

/** The scope of each operation (its `x-required-scope`) at the head of its description, where Swagger UI shows it. */
function describeScopes(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
      const scope = (op as Record<string, unknown> | undefined)?.[SCOPE_EXTENSION];
      if (!op || typeof scope !== 'string') continue;
      const grantedBy = scopesGranting(scope as RouteScope).map((s) => `\`${s}\``);
      const line = `**Scope:** \`${scope}\` (a key with ${grantedBy.join(', ')}).`;
      op.description = op.description ? `${line}\n\n${op.description}` : line;
    }
  }
  return document;
}

/** `items_create` rather than `ItemsController_create`: stable names for generated clients. */
export const operationId = (controllerKey: string, methodKey: string) =>
  `${controllerKey.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}_${methodKey}`;

/** Swagger UI at /docs, the document at /docs-json. */
export function setupSwagger(app: INestApplication, document: OpenAPIObject = createOpenApiDocument(app)): void {
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: DOCS_JSON_PATH,
    customSiteTitle: 'inventory-service API',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
  });
}
