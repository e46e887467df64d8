import { DynamicModule, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import cluster from 'node:cluster';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import { dataSourceOptions, poolSettings } from './data-source-options.js';
import { runMigrations, withDirectSessions } from './open-database.js';
import { TransactionRunner } from './transaction-runner.js';

/**
 * Brings the schema up to date before anything else touches the database: on
 * MIGRATIONS_DATABASE_URL when set (a direct connection, past a transaction pooler),
 * otherwise on the application's own pool. Not in a cluster worker (WORKERS > 1):
 * the primary migrated before it forked any (src/cluster/primary.ts).
 */
@Injectable()
class MigrationsOnStart implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    private readonly dataSource: DataSource,
    private readonly env: Env,
  ) {}

  async onModuleInit(): Promise<void> {
    if (cluster.isWorker) return;
    const direct = this.env.MIGRATIONS_DATABASE_URL;
    const applied = direct
      ? await withDirectSessions(direct, poolSettings(this.env), runMigrations)
      : await runMigrations(this.dataSource);
    if (applied.length) this.logger.log(`Applied ${applied.join(', ')}`);
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(url: string, env: Env): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(url, poolSettings(env)))],
      providers: [MigrationsOnStart, TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
