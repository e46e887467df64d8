import { IsId, Optional } from '../../common/validation.js';

export class LedgerCheckQuery {
  /** Check the stock rows of this tenant only (every tenant when omitted). */
  @Optional()
  @IsId()
  tenant_id?: string;
}
