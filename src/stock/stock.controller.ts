import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ApiDataResponse, ApiErrors, BODY_ERRORS, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { AdjustStockDto } from './dto/adjust-stock.dto.js';
import { CountStockDto } from './dto/count-stock.dto.js';
import { ADJUSTMENT_EXAMPLES, COUNT_EXAMPLES, TRANSFER_EXAMPLES } from './dto/examples.js';
import { StockBatchResponse, TransferResponse } from './dto/stock-operation.response.js';
import { TransferStockDto } from './dto/transfer-stock.dto.js';
import { StockOperationsService } from './stock-operations.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('stock')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('stock')
export class StockController {
  constructor(private readonly stock: StockOperationsService) {}

  @Post('counts')
  @RequireScope('inventory:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set on_hand to counted values (compare-and-set with expected_on_hand), all lines or none' })
  @ApiDataResponse(StockBatchResponse, { description: 'Every line applied' })
  @ApiBody({ type: CountStockDto, examples: COUNT_EXAMPLES })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'count_below_reserved', 'quantity_out_of_range', 'batch_failed'],
    404: ['not_found'],
    409: ['quantity_changed', 'idempotency_key_in_use'],
  })
  count(@Ctx() ctx: RequestContext, @Body() dto: CountStockDto) {
    return this.stock.count(ctx, dto);
  }

  @Post('transfers')
  @RequireScope('inventory:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move available units of an item from one warehouse to another, at once' })
  @ApiDataResponse(TransferResponse, { description: 'Both rows after the transfer' })
  @ApiBody({ type: TransferStockDto, examples: TRANSFER_EXAMPLES })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'insufficient_stock', 'quantity_out_of_range'],
    404: ['not_found'],
  })
  transfer(@Ctx() ctx: RequestContext, @Body() dto: TransferStockDto) {
    return this.stock.transfer(ctx, dto);
  }

  @Post('adjustments')
  @RequireScope('inventory:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Up to 1,000 deltas, counts and write-offs: all or nothing, or `per_line` with each line reported',
  })
  @ApiDataResponse(StockBatchResponse, { description: "Every line's outcome" })
  @ApiBody({ type: AdjustStockDto, examples: ADJUSTMENT_EXAMPLES })
  @ApiErrors({
    ...BODY_ERRORS,
    400: [
      'validation_failed',
      'invalid_json',
      'insufficient_stock',
      'count_below_reserved',
      'quantity_out_of_range',
      'batch_failed',
    ],
    404: ['not_found'],
    409: ['quantity_changed', 'idempotency_key_in_use'],
  })
  adjust(@Ctx() ctx: RequestContext, @Body() dto: AdjustStockDto) {
    return this.stock.adjust(ctx, dto);
  }
}
