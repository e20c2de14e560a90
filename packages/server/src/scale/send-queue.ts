import type * as zmq from "zeromq";

/**
 * Serializes sends on one socket for several producers (zeromq allows one pending send per socket): frames
 * are queued and one loop awaits each send. A send that fails is reported to `onError` with its frames.
 */
export class SendQueue {
  private readonly queue: Array<Array<Buffer | Uint8Array>> = [];
  private sending = false;

  constructor(
    private readonly socket: zmq.Writable & zmq.Socket,
    private readonly onError: (error: unknown, frames: Array<Buffer | Uint8Array>) => void,
  ) {}

  /** Queues one multipart message. */
  send(frames: Array<Buffer | Uint8Array>): void {
    this.queue.push(frames);
    if (!this.sending) void this.pump();
  }

  /** Messages waiting to be handed to the socket. */
  get waiting(): number {
    return this.queue.length;
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      for (let frames = this.queue.shift(); frames !== undefined; frames = this.queue.shift()) {
        if (this.socket.closed) return;
        try {
          await this.socket.send(frames);
        } catch (error) {
          this.onError(error, frames);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
