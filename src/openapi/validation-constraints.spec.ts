import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsString, Max, Min } from 'class-validator';
import { RouteParamtypes, type RouteHandler } from './routes.js';
import { applyValidationConstraints, undocumentedProperties } from './validation-constraints.js';

const LIMIT = 7;

class ProbeBodyDto {
  @IsString()
  name!: string;

  @IsInt()
  @Min(-LIMIT)
  @Max(LIMIT)
  delta!: number;

  @IsArray()
  @ArrayMaxSize(LIMIT)
  tags!: string[];
}

class ProbeQuery {
  @IsInt()
  limit?: number;

  @IsString()
  cursor?: string;
}

const route = (operationId: string, kind: RouteParamtypes, type: RouteHandler['args'][number]['type']) =>
  [operationId, { operationId, controller: Object, handler: {}, args: [{ kind, pipes: [], type }] }] satisfies [
    string,
    RouteHandler,
  ];

const routes = new Map<string, RouteHandler>([
  route('probe_create', RouteParamtypes.BODY, ProbeBodyDto),
  route('probe_list', RouteParamtypes.QUERY, ProbeQuery),
]);

/** What the CLI plugin made of ProbeBodyDto when it skipped `delta` (as it did AdjustQtyDto.delta). */
const documentWithout = (): OpenAPIObject => ({
  openapi: '3.0.0',
  info: { title: 'probe', version: '1' },
  paths: {
    '/probes': {
      post: { operationId: 'probe_create', responses: {} },
      get: {
        operationId: 'probe_list',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'number' } }],
        responses: {},
      },
    },
  },
  components: {
    schemas: {
      ProbeBodyDto: {
        type: 'object',
        properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
});

describe('the document against the validation rules', () => {
  it('names every accepted field the document lacks, in bodies and query strings', () => {
    expect(undocumentedProperties(documentWithout(), routes)).toEqual(['ProbeBodyDto.delta', 'probe_list?cursor']);
  });

  it('names a request body class that has no schema at all', () => {
    const document = documentWithout();
    delete document.components!.schemas!.ProbeBodyDto;
    expect(undocumentedProperties(document, routes)).toContain('probe_create body ProbeBodyDto');
  });

  it('writes the limits validation runs with, closes request schemas, and types query integers', () => {
    const document = applyValidationConstraints(documentWithout(), routes);
    const schema = document.components!.schemas!.ProbeBodyDto as Record<string, any>;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tags).toMatchObject({ maxItems: LIMIT });
    const [limit] = document.paths['/probes'].get!.parameters as Record<string, any>[];
    expect(limit.schema).toEqual({ type: 'integer' });
  });
});
