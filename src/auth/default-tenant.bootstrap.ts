import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Env } from '../config/env.js';
import { DomainError } from '../common/errors.js';
import { TenantsService } from './tenants.service.js';

/**
 * On the first start against an empty database, makes a `default` tenant and
 * prints its API key once, so a newcomer can call the API straight away.
 */
@Injectable()
export class DefaultTenantBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly tenants: TenantsService,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.BOOTSTRAP_DEFAULT_TENANT || (await this.tenants.count()) > 0) return;
    try {
      const { tenant, api_key } = await this.tenants.create('default', 'system', `bootstrap-${randomUUID()}`);
      const base = `http://localhost:${this.env.PORT}`;
      this.logger.log(
        [
          `Created tenant "${tenant.name}" (${tenant.id}). Its API key is shown only this once:`,
          `    ${api_key.key}`,
          `Try it:`,
          `    curl -s ${base}/api/items -H 'Authorization: Bearer ${api_key.key}'`,
        ].join('\n'),
      );
    } catch (err) {
      // Another instance starting at the same moment made it first.
      if (!(err instanceof DomainError && err.code === 'duplicate_name')) throw err;
    }
  }
}
