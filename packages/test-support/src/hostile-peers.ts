// Hostile peers for the server's fault suite and the bench's "hostile" scenario: what an attacker (or a broken client)
// does to a zpb server, written against the wire (ZMTP 3.0 over raw TCP) where zeromq.js would not let us
// misbehave, and with zeromq.js sockets where it would.
import { connect, type Socket } from "node:net";
import * as zmq from "zeromq";

/** host and port of a `tcp://host:port` endpoint. */
export function tcpAddress(endpoint: string): { host: string; port: number } {
  const match = /^tcp:\/\/([^:]+):(\d+)$/.exec(endpoint);
  if (match === null) throw new Error(`not a tcp endpoint: ${endpoint}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** The ZMTP 3.0 greeting of a NULL-mechanism client (64 bytes). */
function greeting(): Buffer {
  const bytes = Buffer.alloc(64);
  bytes[0] = 0xff;
  bytes[9] = 0x7f;
  bytes[10] = 3; // major
  bytes[11] = 0; // minor
  bytes.write("NULL", 12, "ascii");
  return bytes;
}

/** A ZMTP frame: flags (bit 0 MORE, bit 1 LONG, bit 2 COMMAND), size, body. */
function frame(body: Buffer, more: boolean, command = false): Buffer {
  const flags = (more ? 1 : 0) | (command ? 4 : 0);
  if (body.length < 256) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | 2;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

/** The READY command of a DEALER, optionally with an Identity (its routing id). */
function ready(identity?: string): Buffer {
  const property = (name: string, value: Buffer): Buffer => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(value.length);
    return Buffer.concat([Buffer.from([name.length]), Buffer.from(name, "ascii"), size, value]);
  };
  const parts = [Buffer.from([5]), Buffer.from("READY", "ascii"), property("Socket-Type", Buffer.from("DEALER"))];
  if (identity !== undefined) parts.push(property("Identity", Buffer.from(identity)));
  return frame(Buffer.concat(parts), false, true);
}

/** Opens a TCP connection and resolves once it is established. */
function open(endpoint: string): Promise<Socket> {
  const { host, port } = tcpAddress(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * `count` TCP connections that never finish the ZMTP handshake (they send half a greeting, then nothing).
 * Connections the server refuses or drops are counted, not thrown. `close()` ends every one.
 */
export async function halfOpenConnections(
  endpoint: string,
  count: number,
): Promise<{ opened: number; failed: number; dropped: () => number; close: () => void }> {
  const sockets: Socket[] = [];
  let failed = 0;
  let dropped = 0;
  const batch = 64;
  for (let i = 0; i < count; i += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, count - i) }, () => open(endpoint)));
    for (const result of results) {
      if (result.status === "rejected") {
        failed++;
        continue;
      }
      const socket = result.value;
      socket.on("error", () => undefined);
      socket.on("close", () => dropped++);
      socket.write(greeting().subarray(0, 10));
      sockets.push(socket);
    }
  }
  return {
    opened: sockets.length,
    failed,
    dropped: () => dropped,
    close: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * A DEALER speaking raw ZMTP that sends `messages` messages of `frames` one-byte frames each: the multipart
 * flood (libzmq's ZMQ_MAXMSGSIZE caps one frame, not a message). Resolves once everything is written, or
 * once the server drops the connection; `closed` tells which.
 */
export async function multipartFlood(
  endpoint: string,
  messages: number,
  frames: number,
): Promise<{ written: number; closedByServer: boolean }> {
  const socket = await open(endpoint);
  let closedByServer = false;
  socket.on("error", () => undefined);
  socket.on("close", () => (closedByServer = true));
  socket.write(greeting());
  socket.write(ready());
  const more = frame(Buffer.from("x"), true);
  const chunkFrames = 65_536;
  const chunk = Buffer.concat(Array.from({ length: chunkFrames }, () => more));
  let written = 0;
  const write = (bytes: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (closedByServer || socket.write(bytes)) resolve();
      else {
        const done = (): void => {
          socket.off("drain", done);
          socket.off("close", done);
          resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      }
    });
  for (let m = 0; m < messages && !closedByServer; m++) {
    let left = frames - 1;
    while (left > 0 && !closedByServer) {
      const n = Math.min(left, chunkFrames);
      await write(n === chunkFrames ? chunk : chunk.subarray(0, n * more.length));
      left -= n;
    }
    await write(frame(Buffer.from("x"), false));
    written++;
  }
  socket.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
  return { written, closedByServer };
}

/**
 * `count` DEALERs that keep sending `payload` (window: at most `window` sends each per tick) and never read a
 * reply: slow consumers. Their own receive HWM is 1 so the backlog piles up on the server, not here.
 * `stop()` closes them.
 */
export function slowReaders(
  endpoint: string,
  count: number,
  payload: Uint8Array,
): { sent: () => number; stop: () => Promise<void> } {
  let running = true;
  let sent = 0;
  const sockets = Array.from({ length: count }, () => {
    const socket = new zmq.Dealer({ linger: 0, receiveHighWaterMark: 1, sendHighWaterMark: 100, sendTimeout: 200 });
    socket.connect(endpoint);
    return socket;
  });
  const loops = sockets.map(async (socket) => {
    while (running) {
      try {
        await socket.send(payload);
        sent++;
      } catch {
        // The server stopped reading from us (TCP pushed back): keep trying, slowly.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      for (const socket of sockets) socket.close();
    },
  };
}

/** A raw ZMTP DEALER with a chosen routing id (Identity), to claim an id another peer already uses. */
export async function rawDealer(
  endpoint: string,
  identity: string,
): Promise<{ send: (payload: Buffer) => void; replies: Buffer[]; close: () => void }> {
  const socket = await open(endpoint);
  const replies: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let greeted = false;
  socket.on("error", () => undefined);
  socket.on("data", (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    if (!greeted) {
      if (pending.length < 64) return;
      pending = pending.subarray(64);
      greeted = true;
    }
    for (;;) {
      if (pending.length < 2) return;
      const flags = pending[0]!;
      const long = (flags & 2) !== 0;
      const headLength = long ? 9 : 2;
      if (pending.length < headLength) return;
      const size = long ? Number(pending.readBigUInt64BE(1)) : pending[1]!;
      if (pending.length < headLength + size) return;
      const body = pending.subarray(headLength, headLength + size);
      pending = pending.subarray(headLength + size);
      if ((flags & 4) === 0) replies.push(Buffer.from(body));
    }
  });
  socket.write(greeting());
  socket.write(ready(identity));
  return {
    send: (payload) => socket.write(frame(payload, false)),
    replies,
    close: () => socket.destroy(),
  };
}
