// A handler module for a user's own schema (see ../../README.md, "Your own handler and schema").
// Generate the code first:  pnpm --filter @zpb/server example:gen
// Serve it:                 node dist/cli.js --handler examples/pricing/handler.mjs
import { ErrorCode, createCodec } from "@zpb/proto";
import { RequestError } from "@zpb/server";
import { pricing } from "./gen/pricing.js";

/** Requests and replies are pricing.Message, not the Envelope. */
export const codec = createCodec(pricing.Message);

/** How the server answers faults (undecodable bytes, a handler that throws, ...) in this schema. */
export function errorReply(code, message, request) {
  return { id: request?.id ?? 0, failure: { code, message } };
}

const BOOK = new Map([
  ["EURUSD", [1.0812, 1.0814]],
  ["USDJPY", [155.31, 155.34]],
]);

/** QuoteRequest → Quote, with the request's id. Unknown symbols are refused with CODE_HANDLER. */
export default function quote(request) {
  if (request.body !== "request")
    throw new RequestError(ErrorCode.CODE_UNKNOWN_PAYLOAD, `send a QuoteRequest, not ${request.body ?? "nothing"}`);
  const symbol = request.request.symbol;
  const prices = BOOK.get(symbol);
  if (prices === undefined) throw new RequestError(ErrorCode.CODE_HANDLER, `no price for ${symbol}`);
  return { id: request.id, quote: { symbol, bid: prices[0], ask: prices[1] } };
}
