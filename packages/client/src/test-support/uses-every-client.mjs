// Uses every client once, closes them, and returns from main: the process must then exit on its own.
// argv: pong endpoint, echo endpoint, silent endpoint.
import { ping } from "@zpb/proto";
import { EchoClient, PipelinedClient, RequestClient, Subscription, TopicPublisher } from "../../dist/index.js";

const [pongEndpoint, echoEndpoint, silentEndpoint] = process.argv.slice(2);

async function main() {
  const request = new RequestClient({ endpoint: pongEndpoint });
  await request.request(ping(1));
  request.close();

  const pipelined = new PipelinedClient({ endpoint: pongEndpoint, window: 8 });
  await Promise.all(Array.from({ length: 100 }, (_, i) => pipelined.request(ping(i + 1))));
  await pipelined.close();

  const echo = new EchoClient({ endpoint: echoEndpoint });
  await echo.echoText("Hello world!");
  echo.close();

  const publisher = await TopicPublisher.bind({ endpoint: "tcp://127.0.0.1:*" });
  const subscription = new Subscription({ endpoint: publisher.endpoint, topics: ["PING"] });
  await publisher.waitForSubscribers(1, { topic: "PING", timeoutMs: 3000 });
  await publisher.publishMany({ topic: "PING", count: 10, message: (i) => ping(i) });
  for (let i = 0; i < 10; i++) await subscription.next({ timeoutMs: 3000 });
  subscription.close();
  publisher.close();

  // Clients closed with requests still unanswered must not keep the process alive either.
  const stuck = new RequestClient({ endpoint: silentEndpoint, timeoutMs: 60_000 });
  const stuckReply = stuck.request(ping(1)).catch((e) => e.code);
  const stuckPipe = new PipelinedClient({ endpoint: silentEndpoint, timeoutMs: 60_000 });
  const stuckPipeReply = stuckPipe.request(ping(1)).catch((e) => e.code);
  await new Promise((resolve) => setTimeout(resolve, 100));
  stuck.close();
  await stuckPipe.close();
  console.log("closed:", await stuckReply, await stuckPipeReply);
  console.log("done");
}

await main();
