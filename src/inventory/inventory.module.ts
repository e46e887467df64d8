import { Module } from '@nestjs/common';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';
import { StockChanges } from './stock-changes.js';

@Module({
  imports: [WarehousesModule, ReservationsModule],
  controllers: [ItemsController],
  providers: [ItemsService, StockChanges],
  exports: [ItemsService],
})
export class InventoryModule {}
