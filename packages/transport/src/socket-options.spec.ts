// Options as each public socket class hands them to libzmq: zpb's defaults, the caller's values, per-class
// extras, and options a socket type lacks skipped (one options object can configure every socket of a service).
import { rawCodec } from "@zpb/proto";
import { describe, expect, it } from "vitest";
import { closeAfterEach } from "@zpb/test-support/vitest";
import {
  Dealer,
  Publisher,
  Replier,
  Requester,
  RoutedDealer,
  Router,
  Subscriber,
  type SocketOptions,
} from "./index.js";

const own = closeAfterEach();

/** Every option SocketOptions names, with a value no default has. */
const EVERY_OPTION = {
  sendHighWaterMark: 11,
  receiveHighWaterMark: 12,
  linger: 13,
  sendTimeout: 14,
  receiveTimeout: 15,
  maxMessageSize: 16_384,
  heartbeatInterval: 17,
  heartbeatTimeout: 18,
  heartbeatTimeToLive: 19_000,
  reconnectInterval: 20,
  reconnectMaxInterval: 21,
  immediate: true,
} satisfies SocketOptions;

const classes = {
  Requester: (o: SocketOptions) => new Requester(o),
  Replier: (o: SocketOptions) => new Replier(o),
  Publisher: (o: SocketOptions) => new Publisher(o),
  Subscriber: (o: SocketOptions) => new Subscriber(o),
  RoutedDealer: (o: SocketOptions) => new RoutedDealer(o),
  Dealer: (o: SocketOptions) => new Dealer(o),
  Router: (o: SocketOptions) => new Router({ ...o, mandatory: false }),
};

describe("socket options", () => {
  it.each(Object.keys(classes) as Array<keyof typeof classes>)(
    "%s maps every SocketOptions field to its libzmq option, and skips those its type lacks",
    (name) => {
      const socket = own(classes[name](EVERY_OPTION)).socket as unknown as Record<string, unknown>;
      for (const [option, value] of Object.entries(EVERY_OPTION)) {
        if (option in socket) expect(socket[option], `${name}.${option}`).toBe(value);
      }
      // a SUB cannot send: sendTimeout and sendHighWaterMark are skipped there, not thrown on
      if (name === "Subscriber") expect("sendTimeout" in socket).toBe(false);
      else expect(socket.sendTimeout, `${name}.sendTimeout`).toBe(14);
    },
  );

  it("zpb's linger default (500 ms) applies to every class; libzmq's other defaults stay", () => {
    for (const [name, make] of Object.entries(classes)) {
      const socket = own(make({})).socket as unknown as Record<string, unknown>;
      expect(socket.linger, name).toBe(500);
      expect(socket.receiveHighWaterMark, name).toBe(1000);
      if ("sendHighWaterMark" in socket) expect(socket.sendHighWaterMark, name).toBe(1000);
      expect(socket.receiveTimeout, name).toBe(-1);
    }
  });

  // ZMQ_ROUTER_MANDATORY is write-only in zeromq.js; its effect (UNROUTABLE) is tested in router-dealer.spec.ts.
  it("a mandatory Router does its own per-peer send waiting: the socket's sendTimeout is 0", () => {
    expect(own(new Router({ sendTimeout: 250 })).socket.sendTimeout).toBe(0);
    expect(own(new Router({ mandatory: false, sendTimeout: 250 })).socket.sendTimeout).toBe(250);
  });

  it("Publisher is an XPUB (it sees subscriptions)", () => {
    expect(own(new Publisher({ codec: rawCodec })).socket.type).toBe(9); // ZMQ_XPUB
  });
});
