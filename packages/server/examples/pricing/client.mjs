// Asks the pricing example for a quote over a REQ socket.  node examples/pricing/client.mjs [symbol] [endpoint]
import { Request } from "zeromq";
import { createCodec } from "@zpb/proto";
import { pricing } from "./gen/pricing.js";

const codec = createCodec(pricing.Message);
const [symbol = "EURUSD", endpoint = "tcp://127.0.0.1:5555"] = process.argv.slice(2);
const socket = new Request({ linger: 0, receiveTimeout: 3000 });
socket.connect(endpoint);
await socket.send(codec.encode({ id: 1, request: { symbol } }));
const [bytes] = await socket.receive();
const reply = codec.decode(bytes);
console.log(reply.body, JSON.stringify(reply[reply.body]));
socket.close();
