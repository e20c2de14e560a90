// The built entry points: "@zpb/server" offers only what users need, "@zpb/server/internal" the rest, and a
// class is the same class through either (the library entries share chunks).
import { describe, expect, it } from "vitest";

const load = (entry: string) => import(/* @vite-ignore */ new URL(`../dist/${entry}.js`, import.meta.url).href);

describe("entry points (dist)", () => {
  it("the public entry exports exactly the user-facing API", async () => {
    const exported = Object.keys(await load("index")).sort();
    expect(exported).toEqual(
      [
        "BUILTIN_HANDLERS",
        "COUNTER_NAMES",
        "RequestError",
        "SERVER_SETTINGS",
        "ServerError",
        "envelopeErrorReply",
        "silentLogger",
        "startJoiner",
        "startServer",
      ].sort(),
    );
  });

  it("the internal entry throws the public entry's ServerError", async () => {
    const [pub, internal] = await Promise.all([load("index"), load("internal")]);
    expect(internal.SERVER_SETTINGS).toBeUndefined();
    expect(() => internal.resolveOptions({ workers: 0 })).toThrow(pub.ServerError);
    expect(() => internal.resolveSettings(pub.SERVER_SETTINGS, { linger: -1 })).toThrow(pub.ServerError);
  });
});
