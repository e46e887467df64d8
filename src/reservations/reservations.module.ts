import { Module } from '@nestjs/common';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { HoldOwners } from './hold-owners.js';
import { ReservationExpiryCron } from './reservation-expiry.cron.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import { ReservationBatcher } from './reservation-batcher.js';
import { ReservationHoldsService } from './reservation-holds.service.js';
import { ReservationsController } from './reservations.controller.js';
import { ReservationsService } from './reservations.service.js';

@Module({
  imports: [WarehousesModule],
  controllers: [ReservationsController],
  providers: [
    ReservationsService,
    ReservationHoldsService,
    ReservationBatcher,
    ReservationExpiryService,
    ReservationExpiryCron,
    HoldOwners,
  ],
  exports: [ReservationsService, ReservationHoldsService, ReservationBatcher, ReservationExpiryService, HoldOwners],
})
export class ReservationsModule {}
