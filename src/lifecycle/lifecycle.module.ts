import { Module } from '@nestjs/common';
import { ShutdownState } from './shutdown-state.js';

/** The instance's lifecycle as the application sees it (see graceful-shutdown.ts for the sequence). */
@Module({
  providers: [ShutdownState],
  exports: [ShutdownState],
})
export class LifecycleModule {}
