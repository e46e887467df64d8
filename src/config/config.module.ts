import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { Env } from './env.js';

/**
 * Makes the validated environment injectable as `Env` everywhere, and the same
 * values available through @nestjs/config's ConfigService (`config.get('PORT')`,
 * typed). Validation happens once, in validateEnv, before the application is
 * built (main.ts needs the result to open the database); @nestjs/config reads
 * neither .env (main.ts loads it) nor process.env again, so both views agree.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: ConfigModule,
      imports: [
        NestConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
      ],
      providers: [{ provide: Env, useValue: env }],
      exports: [Env],
    };
  }
}
