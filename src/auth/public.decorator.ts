import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';
export const IS_ADMIN = 'auth:admin';

/** No API key needed (health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only the ADMIN_TOKEN may call it; without ADMIN_TOKEN the route does not exist. */
export const AdminOnly = () => SetMetadata(IS_ADMIN, true);
