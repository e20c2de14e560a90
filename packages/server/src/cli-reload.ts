// zpb-server's SIGHUP: the allow-lists it re-reads (the clients' `--authorized-keys`, the worker hosts'
// `--host-keys`), each reported on its own line; a list that cannot be read keeps the previous one in force.
import type { ReloadedKeys } from "./curve.js";
import type { Logger } from "./log.js";
import type { RunningServer } from "./server.js";

/** An allow-list SIGHUP re-reads: the clients' (`--authorized-keys`) or the worker hosts' (`--host-keys`). */
export interface ReloadableList {
  name: string;
  peers: string;
  directory: string;
  reload(): Promise<ReloadedKeys>;
}

/** The allow-lists a running server has. */
export function reloadableLists(server: RunningServer): ReloadableList[] {
  const curve = server.curve;
  const lists: ReloadableList[] = [];
  if (curve?.authorizedKeys !== undefined)
    lists.push({ name: "authorized keys", peers: "client", directory: curve.authorizedKeys, reload: curve.reload });
  if (curve?.hosts !== undefined)
    lists.push({ name: "host keys", peers: "host", directory: curve.hosts.hostKeys, reload: curve.hosts.reload });
  return lists;
}

/** SIGHUP: re-reads each list, as sshd and nginx reload on it; connected peers stay connected. */
export function reloadLists(lists: readonly ReloadableList[], logger: Logger): void {
  for (const list of lists) {
    list.reload().then(
      ({ keys, skipped }) => {
        for (const { file, reason } of skipped) logger.warn({ file }, `skipped ${file} in the ${list.name}: ${reason}`);
        logger.info(
          { keys, skipped: skipped.length, list: list.name },
          `SIGHUP: reloaded the ${list.name}: ${keys} ${list.peers} key(s) from ${list.directory}`,
        );
      },
      (error: unknown) =>
        logger.error(
          { err: error, list: list.name },
          `SIGHUP: could not reload the ${list.name} (the previous list stays in force): ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  }
}
