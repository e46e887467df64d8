import { Module } from '@nestjs/common';
import { ReservationExpiryCron } from './reservation-expiry.cron.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import { ReservationsController } from './reservations.controller.js';
import { ReservationsService } from './reservations.service.js';

@Module({
  controllers: [ReservationsController],
  providers: [ReservationsService, ReservationExpiryService, ReservationExpiryCron],
  exports: [ReservationsService, ReservationExpiryService],
})
export class ReservationsModule {}
