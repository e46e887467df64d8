import { Module } from '@nestjs/common';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { StockBatch } from './stock-batch.js';
import { StockOperationsService } from './stock-operations.service.js';
import { StockController } from './stock.controller.js';

/** Operations on stock rows across items and warehouses: counts, transfers, batches of adjustments. */
@Module({
  imports: [WarehousesModule, ReservationsModule],
  controllers: [StockController],
  providers: [StockOperationsService, StockBatch],
})
export class StockModule {}
