import { DynamicModule, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './open-database.js';
import { TransactionRunner } from './transaction-runner.js';

/** Brings the schema up to date before anything else touches the database. */
@Injectable()
class MigrationsOnStart implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource);
    if (applied.length) this.logger.log(`Applied ${applied.join(', ')}`);
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(url: string, env: Env): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(
          dataSourceOptions(url, {
            poolSize: env.DB_POOL_SIZE,
            lockTimeoutMs: env.DB_LOCK_TIMEOUT_MS,
            statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
          }),
        ),
      ],
      providers: [MigrationsOnStart, TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
