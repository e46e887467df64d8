import { Module } from '@nestjs/common';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { AvailabilityController } from './availability.controller.js';
import { ItemReads } from './item-reads.js';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';
import { StockChanges } from './stock-changes.js';

@Module({
  imports: [WarehousesModule, ReservationsModule],
  controllers: [ItemsController, AvailabilityController],
  providers: [ItemsService, StockChanges, ItemReads],
  exports: [ItemsService],
})
export class InventoryModule {}
