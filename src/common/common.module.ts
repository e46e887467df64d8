import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Env } from '../config/env.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { CursorCodec } from './cursor.js';
import { EnvelopeInterceptor } from './envelope.interceptor.js';
import { createValidationPipe } from './validation.js';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor.js';

/** The API contract's plumbing: one filter, the envelope, strict validation, cursors. */
@Global()
@Module({
  providers: [
    { provide: CursorCodec, inject: [Env], useFactory: (env: Env) => new CursorCodec(env.CURSOR_SECRET) },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    // Order matters: idempotency wraps the envelope, so it stores what clients receive.
    { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
    { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
  exports: [CursorCodec],
})
export class CommonModule {}
