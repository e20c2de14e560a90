import type * as zmq from "zeromq";

/** The next message, or undefined once the socket is closed (closing rejects a pending receive: the end, not a failure). */
export async function receiveOrEnd(socket: zmq.Readable & zmq.Socket): Promise<Buffer[] | undefined> {
  if (socket.closed) return undefined;
  try {
    return await socket.receive();
  } catch (error) {
    if (socket.closed) return undefined;
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
