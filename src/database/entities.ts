import { AuditLog } from '../audit/entities/audit-log.entity.js';
import { ApiKey } from '../auth/entities/api-key.entity.js';
import { Tenant } from '../auth/entities/tenant.entity.js';
import { Item } from '../inventory/entities/item.entity.js';
import { Stock } from '../inventory/entities/stock.entity.js';
import { Warehouse } from '../warehouses/entities/warehouse.entity.js';

export const ENTITIES = [Tenant, ApiKey, Warehouse, Item, Stock, AuditLog];
