/** What a key may do; `*` is everything. The migration's CHECK api_key_scopes_known lists the same values. */
export const SCOPES = [
  'inventory:read',
  'inventory:write',
  'reservations:write',
  'orders:read',
  'orders:write',
  'audit:read',
  'webhooks:manage',
  '*',
] as const;

export type Scope = (typeof SCOPES)[number];
/** A scope a route can need (`*` is what a key holds, never what a route asks for). */
export type RouteScope = Exclude<Scope, '*'>;

/**
 * Writing a resource includes reading it, as Shopify's, Stripe's and commercetools' keys do:
 * a key that may change orders may also read them.
 */
const IMPLIED: Partial<Record<Scope, RouteScope>> = {
  'inventory:write': 'inventory:read',
  'orders:write': 'orders:read',
};

/** Whether a key holding `held` may call a route that needs `required`. */
export function grants(held: readonly string[], required: RouteScope): boolean {
  return held.some((scope) => scope === '*' || scope === required || IMPLIED[scope as Scope] === required);
}

/** The scopes that grant `required`, for the message of a refusal. */
export function scopesGranting(required: RouteScope): Scope[] {
  return SCOPES.filter((scope) => grants([scope], required));
}

/** Each scope once, in the order of SCOPES; `*` alone when it is among them (it says everything). */
export function normalizeScopes(scopes: readonly string[]): Scope[] {
  if (scopes.includes('*')) return ['*'];
  return SCOPES.filter((scope) => scopes.includes(scope));
}
