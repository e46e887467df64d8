import { ApiProperty } from '@nestjs/swagger';
import { ApiKeyResponse } from './tenant.response.js';

export class MeResponse {
  @ApiProperty({
    format: 'uuid',
    description: 'The tenant the key belongs to',
    example: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
  })
  tenant_id!: string;

  @ApiProperty({
    description: '`api_key:<id>`: how this key appears in audit rows',
    example: 'api_key:7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  })
  actor!: string;

  @ApiProperty({
    type: ApiKeyResponse,
    description: 'The key making this call, as the service knew it (up to AUTH_CACHE_TTL_MS ago)',
  })
  api_key!: ApiKeyResponse;
}
