import { rawCodec } from "@zpb/proto";
import { CLIENT_DEFAULTS } from "./options.js";
import { RequestClient, type RequestClientOptions, type RequestOptions } from "./request-client.js";

export type EchoClientOptions = Omit<RequestClientOptions<Uint8Array>, "codec" | "remoteError">;

/**
 * A client for the REQ/REP echo tutorial's raw-bytes service (default tcp://127.0.0.1:25933): sends bytes,
 * gets the same bytes back. Built on RequestClient, so it times out and retries the same way.
 */
export class EchoClient {
  private readonly client: RequestClient<Uint8Array>;

  constructor(options: EchoClientOptions = {}) {
    this.client = new RequestClient<Uint8Array>({
      endpoint: CLIENT_DEFAULTS.endpoints.echo,
      ...options,
      codec: rawCodec,
      remoteError: null,
    });
  }

  /** The endpoint this client talks to. */
  get endpoint(): string {
    return this.client.endpoint;
  }

  /** Counters of the underlying request client. */
  get stats() {
    return this.client.stats;
  }

  /** Sends `payload` and resolves with the bytes the server echoed. */
  echo(payload: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    return this.client.request(payload, options);
  }

  /** Sends `text` as UTF-8 and resolves with the echoed text. */
  async echoText(text: string, options?: RequestOptions): Promise<string> {
    const reply = await this.echo(Buffer.from(text, "utf8"), options);
    return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString("utf8");
  }

  /** Closes the socket; pending requests reject with ClosedError. */
  close(): void {
    this.client.close();
  }
}
