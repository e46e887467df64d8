import { ApiProperty } from '@nestjs/swagger';
import type { ApiKeyView } from '../api-key.js';
import type { NewApiKeyView } from '../api-keys.service.js';
import { SCOPES, type Scope } from '../scopes.js';
import type { TenantView } from '../tenant.repository.js';

const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

export class TenantResponse implements TenantView {
  @ApiProperty({ format: 'uuid', example: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  name!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({
    ...NULLABLE_TIME,
    description: 'Since when its keys are refused (403 tenant_disabled); null: enabled',
    example: null,
  })
  disabled_at!: string | null;
}

export class ApiKeyResponse implements ApiKeyView {
  @ApiProperty({ format: 'uuid', example: '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'checkout' })
  label!: string;

  @ApiProperty({ description: 'First characters of the key, to recognise it later', example: 'inv_Qm9vLmJh' })
  prefix!: string;

  @ApiProperty({
    enum: SCOPES,
    isArray: true,
    description: 'What the key may do; `*`: everything',
    example: ['inventory:read', 'reservations:write'],
  })
  scopes!: Scope[];

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ ...NULLABLE_TIME, description: 'From then on the key is refused (401); null: never', example: null })
  expires_at!: string | null;

  @ApiProperty({ ...NULLABLE_TIME, description: 'When it was revoked (401 from then on); null: not', example: null })
  revoked_at!: string | null;

  @ApiProperty({
    ...NULLABLE_TIME,
    description: 'The last use recorded: each instance records the uses it saw once a minute, so up to that late',
    example: '2024-11-21T19:45:00.000Z',
  })
  last_used_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The key this one was made to replace (rotation)',
    example: null,
  })
  rotated_from!: string | null;
}

export class ApiKeyWithSecretResponse extends ApiKeyResponse implements NewApiKeyView {
  @ApiProperty({
    description: 'The secret itself: shown this once, stored only as a hash',
    example: 'inv_Qm9vLmJhci5iYXouUXV4LlF1dXguQ29yZ2UuR3JhdWx0',
  })
  key!: string;
}

export class TenantCreatedResponse {
  @ApiProperty({ type: TenantResponse })
  tenant!: TenantResponse;

  @ApiProperty({ type: ApiKeyWithSecretResponse, description: "The tenant's first API key, with every scope (`*`)" })
  api_key!: ApiKeyWithSecretResponse;
}
