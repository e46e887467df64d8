import { Logger, Module } from '@nestjs/common';
import { Env } from '../config/env.js';
import { EventsModule } from '../events/events.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { DeliveriesService } from './deliveries.service.js';
import { DEVELOPMENT_SECRET_KEY, SecretBox } from './secret-box.js';
import { WebhookRelay, WebhookTransport } from './webhook-relay.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookUrlPolicy } from './webhook-url-policy.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook endpoints, their deliveries, and the relay that sends them (tables webhook_endpoint/_delivery/_attempt). */
@Module({
  imports: [EventsModule, LifecycleModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    DeliveriesService,
    WebhookUrlPolicy,
    WebhookRelay,
    {
      provide: SecretBox,
      inject: [Env],
      useFactory: (env: Env) => {
        if (!env.WEBHOOK_SECRET_KEY && env.NODE_ENV === 'production') {
          new Logger('Webhooks').warn(
            'WEBHOOK_SECRET_KEY is not set: webhook secrets are encrypted with the built-in development key; set it',
          );
        }
        return new SecretBox(env.WEBHOOK_SECRET_KEY ?? DEVELOPMENT_SECRET_KEY);
      },
    },
    {
      provide: WebhookTransport,
      inject: [Env],
      useFactory: (env: Env) =>
        new WebhookSender({
          timeoutMs: env.WEBHOOK_TIMEOUT_MS,
          allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
        }),
    },
  ],
})
export class WebhooksModule {}
