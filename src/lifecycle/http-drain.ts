import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * How long connections that are idle when draining begins stay open. A request
 * whose bytes are already on the wire or in the socket buffer, unread, would be
 * reset if its connection were destroyed now: in this window it is read and
 * answered (with `Connection: close`) instead. Long enough for bytes in flight on
 * a LAN and for a busy event loop to get to them; short enough not to matter.
 */
const IDLE_GRACE_MS = 250;
/** How often connections that went idle later (a keep-alive response sent before draining) are closed. */
const SWEEP_INTERVAL_MS = 100;

/** Resolves after the event loop has polled sockets once more, so data that already arrived is parsed. */
const afterNextPoll = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Closes an HTTP server without resetting a request that reached it.
 *
 * Node's `server.close()` destroys idle keep-alive connections at once, and
 * "idle" includes a connection whose next request is still unread in the kernel:
 * its client gets ECONNRESET for a request it has sent. Instead, `drain()` stops
 * listening, marks every response not yet started and every later one
 * `Connection: close` (so the client opens no further request on it and Node
 * closes it once answered), waits IDLE_GRACE_MS, and only then closes what is
 * still idle. It resolves when the last connection has closed, that is when
 * every request that reached the server has been answered.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    // Before Express's listener, so the header is set before any handler runs.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (this.draining) closeAfterResponse(res);
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
    });
  }

  /** Requests received and not answered yet. */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Open connections, busy or idle. */
  connections(): Promise<number> {
    return new Promise((resolve) => this.server.getConnections((err, count) => resolve(err ? 0 : count)));
  }

  async drain(): Promise<void> {
    this.draining = true;
    for (const res of this.inFlight) closeAfterResponse(res);
    // net.Server's close, not http.Server's: it stops accepting without also
    // destroying idle connections on the spot. The callback runs once the last
    // connection has closed.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    let sweeper: NodeJS.Timeout | undefined;
    const sweep = () => void afterNextPoll().then(() => this.server.closeIdleConnections());
    try {
      const done = await Promise.race([closed.then(() => true), sleep(IDLE_GRACE_MS).then(() => false)]);
      if (done) return;
      sweep();
      sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
      await closed;
    } finally {
      clearInterval(sweeper);
    }
  }

  /** Past the deadline: cuts every connection, answered or not. */
  forceClose(): void {
    this.server.closeAllConnections();
  }
}

function closeAfterResponse(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
