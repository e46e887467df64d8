import { Injectable } from '@nestjs/common';

/**
 * Whether this instance has been told to stop. The shutdown sequence sets it the
 * moment the signal arrives; readiness reads it, so that load balancers take the
 * instance out of rotation while it still serves everything they send.
 */
@Injectable()
export class ShutdownState {
  private shuttingDownSince?: number;

  get shuttingDown(): boolean {
    return this.shuttingDownSince !== undefined;
  }

  begin(): void {
    this.shuttingDownSince ??= Date.now();
  }
}
