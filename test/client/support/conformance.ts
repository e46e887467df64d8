import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Middleware } from 'openapi-fetch';

// Every answer a test gets through the client, held against openapi.json: the
// status must be one the operation documents, and the body must match its
// schema, with no field the schema does not name (a schema without
// `additionalProperties` is read as closed here, so that an undocumented field
// shows up as one). This is what makes "the client is right" testable.

type Json = Record<string, any>;

export const OPENAPI: Json = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../openapi.json'), 'utf8'));

/** Every operationId of the document, by `METHOD path`. */
export function operationIds(doc: Json = OPENAPI): Map<string, string> {
  return new Map(
    Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId as string]),
    ),
  );
}

/** A copy of a schema with every object that lists properties closed, and refs pointing into the `openapi` schema. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' ? (v as string).replace('#/', 'openapi#/') : k === 'example' || k === 'examples' ? v : closed(v),
    ]),
  ) as Json;
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

export class Conformance {
  /** What did not match, one line each (`GET /api/items/{id} 200: /data must NOT have additional properties …`). */
  readonly problems: string[] = [];
  /** The statuses each operation answered. */
  readonly answered = new Map<string, Set<number>>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ids = operationIds();

  constructor() {
    (formats as unknown as { default: (ajv: Ajv) => void }).default(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: closed(OPENAPI.components) });
  }

  readonly middleware: Middleware = {
    onResponse: async ({ request, response, schemaPath }) => {
      await this.check(request.method, schemaPath, response.clone());
    },
  };

  private async check(method: string, path: string, response: Response): Promise<void> {
    const key = `${method} ${path}`;
    const operationId = this.ids.get(key);
    const where = `${key} ${response.status}`;
    if (!operationId) return void this.problems.push(`${where}: not an operation of openapi.json`);
    if (!this.answered.has(operationId)) this.answered.set(operationId, new Set());
    this.answered.get(operationId)!.add(response.status);
    const documented = OPENAPI.paths[path][method.toLowerCase()].responses[String(response.status)] as Json | undefined;
    if (!documented) return void this.problems.push(`${where}: status not documented`);
    const text = await response.text();
    if (!documented.content) {
      if (text !== '') this.problems.push(`${where}: a body where the document has none`);
      return;
    }
    const [mediaType, content] = Object.entries(documented.content as Json)[0]!;
    if (!(response.headers.get('content-type') ?? '').startsWith(mediaType)) {
      return void this.problems.push(`${where}: ${response.headers.get('content-type')} instead of ${mediaType}`);
    }
    const body: unknown = mediaType === 'application/json' ? JSON.parse(text) : text;
    const validate = this.validator(`${where} ${mediaType}`, content.schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
      );
      this.problems.push(`${where}: ${errors.join('; ')}`);
    }
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(closed(schema) as object);
      this.validators.set(key, validate);
    }
    return validate;
  }
}
