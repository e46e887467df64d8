import { IsIn, IsISO8601, IsNotEmpty, IsString } from 'class-validator';
import { IsId, MaxChars, Optional } from '../../common/validation.js';
import { MOVEMENT_TYPES, type MovementType } from '../movement.js';
import { PageQuery } from '../../common/page.query.js';

/** The filters of an item's movements (GET /api/items/:id/movements). */
export class ItemMovementsQuery extends PageQuery {
  /** Movements of this warehouse only. */
  @Optional()
  @IsId()
  warehouse_id?: string;

  /**
   * Movements of this type only.
   * @example "received"
   */
  @Optional()
  @IsIn(MOVEMENT_TYPES)
  type?: MovementType;

  /**
   * Movements with exactly this reference (e.g. `po:4711`, `order:<id>`, `reservation:<id>`).
   * @example "po:4711"
   */
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  reference?: string;

  /**
   * Inclusive lower bound on created_at (ISO-8601).
   * @example "2026-11-01T00:00:00Z"
   */
  @Optional()
  @IsISO8601({ strict: true })
  from?: string;

  /**
   * Exclusive upper bound on created_at (ISO-8601).
   * @example "2026-12-01T00:00:00Z"
   */
  @Optional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** The filters of the tenant's movements (GET /api/stock-movements). */
export class ListMovementsQuery extends ItemMovementsQuery {
  /** Movements of this item only (an item of another tenant, or none, lists nothing). */
  @Optional()
  @IsId()
  item_id?: string;
}
