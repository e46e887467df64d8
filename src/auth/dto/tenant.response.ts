import { ApiProperty } from '@nestjs/swagger';
import type { ApiKeyView, TenantView } from '../tenants.service.js';

export class TenantResponse implements TenantView {
  @ApiProperty({ format: 'uuid', example: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  name!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;
}

export class ApiKeyResponse implements ApiKeyView {
  @ApiProperty({ format: 'uuid', example: '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'checkout' })
  label!: string;

  @ApiProperty({ description: 'First characters of the key, to recognise it later', example: 'inv_Qm9vLmJh' })
  prefix!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({
    description: 'The secret itself: shown this once, stored only as a hash',
    example: 'inv_Qm9vLmJhci5iYXouUXV4LlF1dXguQ29yZ2UuR3JhdWx0',
  })
  key!: string;
}

export class TenantCreatedResponse {
  @ApiProperty({ type: TenantResponse })
  tenant!: TenantResponse;

  @ApiProperty({ type: ApiKeyResponse, description: "The tenant's first API key" })
  api_key!: ApiKeyResponse;
}
