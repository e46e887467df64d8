import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Who is acting, for which tenant, under which request id: passed explicitly to services. */
export interface RequestContext {
  tenantId: string;
  /** `api_key:<id>`, `admin` or `system`: recorded as the audit actor. */
  actor: string;
  requestId: string;
}

export interface Principal {
  tenantId: string;
  actor: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** The caller's context, as the auth guard established it. */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => {
  const req = context.switchToHttp().getRequest<Request>();
  if (!req.principal) throw new Error('Ctx used on a route without an authenticated principal');
  return { ...req.principal, requestId: req.requestId };
});

export function systemContext(tenantId: string, requestId: string): RequestContext {
  return { tenantId, actor: 'system', requestId };
}

/** An ADMIN_TOKEN request acting on one tenant: audited on that tenant as `admin`. */
export function adminContext(tenantId: string, requestId: string): RequestContext {
  return { tenantId, actor: 'admin', requestId };
}
