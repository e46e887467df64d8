import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { LedgerAdminController } from './ledger-admin.controller.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerService } from './ledger.service.js';

/** Reads of the stock ledger; its rows are written by every stock change (src/inventory/stock.repository.ts). */
@Module({
  imports: [InventoryModule],
  controllers: [LedgerController, LedgerAdminController],
  providers: [LedgerService],
})
export class LedgerModule {}
