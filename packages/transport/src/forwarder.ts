import * as zmq from "zeromq";
import { TransportError } from "./errors.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";

export interface ForwarderOptions extends SocketOptions {
  /** Where publishers connect (the XSUB side binds it). */
  publishers: string;
  /** Where subscribers connect (the XPUB side binds it). */
  subscribers: string;
}

/**
 * PUB/SUB fan-out through one well-known address pair: libzmq's proxy between an XSUB that publishers
 * connect to and an XPUB that subscribers connect to (the zguide's "extended publish-subscribe"). Messages
 * pass as `[topic, payload]`, untouched; subscriptions flow back to every publisher, so publisher-side
 * filtering and `waitForSubscribers()` work through it (a publisher that connects after the subscribers
 * sees each subscribed topic once, not once per subscriber: libzmq's XSUB replays its set of topics). Its queues follow libzmq's PUB/SUB rules: the
 * XPUB drops a subscriber's messages past `sendHighWaterMark` (like a PUB), the XSUB holds up to
 * `receiveHighWaterMark` per publisher; subscribers count the loss by seq gaps, exactly as with a direct PUB.
 * The proxy runs on one of libuv's pool threads, so no JS runs per message.
 */
export class Forwarder {
  private readonly proxy: zmq.Proxy<zmq.XSubscriber, zmq.XPublisher>;
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly xsub: zmq.XSubscriber,
    private readonly xpub: zmq.XPublisher,
    /** The endpoints actually bound (a `:*` port shows the port the OS picked). */
    readonly endpoints: { publishers: string; subscribers: string },
  ) {
    this.proxy = new zmq.Proxy(xsub, xpub);
  }

  /** Binds both sides and starts forwarding; `done` settles when it stops. */
  static async start(options: ForwarderOptions): Promise<Forwarder> {
    const { publishers, subscribers, ...socket } = options;
    const xsub = createSocket(zmq.XSubscriber, zmqOptions(socket));
    // Verbose: every subscription and unsubscription passes upstream, duplicates included, so a publisher
    // connected before its subscribers counts each of them (`waitForSubscribers(n)`), as it would directly.
    const xpub = createSocket(zmq.XPublisher, zmqOptions(socket, { verbosity: "allSubsUnsubs" }));
    try {
      await bind(xsub, publishers);
      await bind(xpub, subscribers);
    } catch (error) {
      xsub.close();
      xpub.close();
      throw error;
    }
    const forwarder = new Forwarder(xsub, xpub, {
      publishers: xsub.lastEndpoint ?? publishers,
      subscribers: xpub.lastEndpoint ?? subscribers,
    });
    forwarder.running = forwarder.proxy.run();
    forwarder.running.catch(() => {});
    return forwarder;
  }

  /** Resolves when forwarding stops: after stop(), or rejects when the proxy failed on its own. */
  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops the proxy and closes both sockets (each lingers up to `linger` ms). Idempotent. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      try {
        this.proxy.terminate();
      } catch {
        // already terminated
      }
    }
    await this.done.catch(() => {});
    for (const socket of [this.xsub, this.xpub]) if (!socket.closed) socket.close();
  }
}

async function bind(socket: zmq.Socket, endpoint: string): Promise<void> {
  try {
    await socket.bind(endpoint);
  } catch (cause) {
    throw TransportError.from(cause, `bind ${endpoint}`);
  }
}
