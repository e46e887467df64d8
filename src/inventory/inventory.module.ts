import { Module } from '@nestjs/common';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';

@Module({
  imports: [WarehousesModule],
  controllers: [ItemsController],
  providers: [ItemsService],
  exports: [ItemsService],
})
export class InventoryModule {}
