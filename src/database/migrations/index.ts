import { Foundation1732200000000 } from './1732200000000-foundation.js';
import { Reservations1732300000000 } from './1732300000000-reservations.js';
import { Orders1732400000000 } from './1732400000000-orders.js';
import { Idempotency1732500000000 } from './1732500000000-idempotency.js';
import { StockGuards1732600000000 } from './1732600000000-stock-guards.js';
import { StockLedger1732700000000 } from './1732700000000-stock-ledger.js';
import { Addressing1732710000000 } from './1732710000000-addressing.js';
import { Events1732720000000 } from './1732720000000-events.js';
import { Webhooks1732730000000 } from './1732730000000-webhooks.js';
import { FeedOrder1732735000000 } from './1732735000000-feed-order.js';
import { WebhookBatches1732736000000 } from './1732736000000-webhook-batches.js';
import { ApiKeyScopes1732740000000 } from './1732740000000-api-key-scopes.js';
import { EventTraceContext1732741000000 } from './1732741000000-event-trace-context.js';

/** Every migration, in order. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [
  Foundation1732200000000,
  Reservations1732300000000,
  Orders1732400000000,
  Idempotency1732500000000,
  StockGuards1732600000000,
  StockLedger1732700000000,
  Addressing1732710000000,
  Events1732720000000,
  Webhooks1732730000000,
  FeedOrder1732735000000,
  WebhookBatches1732736000000,
  ApiKeyScopes1732740000000,
  EventTraceContext1732741000000,
];
