import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

const CHECK_TIMEOUT_MS = 2000;

/** What "ready to serve" means here: the database answers and the schema is current. */
@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  database() {
    return this.typeorm.pingCheck('database', { connection: this.dataSource }).withTimeout(CHECK_TIMEOUT_MS);
  }

  /** A migration in the code but not in the database: an instance of a newer version that has not migrated yet. */
  migrations() {
    return this.indicators
      .check('migrations')
      .attempt(async () => {
        if (await this.dataSource.showMigrations()) throw new Error('migrations are pending');
        return { pending: false };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}
