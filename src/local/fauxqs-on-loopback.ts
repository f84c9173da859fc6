import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { type FauxqsServer, startFauxqs } from 'fauxqs';

type FauxqsOptions = NonNullable<Parameters<typeof startFauxqs>[0]>;

const loopbackHosts = new Set(['127.0.0.1', 'localhost']);

/**
 * A path segment `.` or `..` (decoded, either slash): fauxqs's file storage joins keys onto its
 * directory as they are, so such a key would read or write outside it.
 */
function escapesStorage(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return decoded.includes('\0') || decoded.split(/[\\/]/).some((segment) => segment === '.' || segment === '..');
}

/**
 * Only requests addressed to this machine by a loopback name (a page on another site that rebinds its
 * name to 127.0.0.1 sends its own Host), and no key that climbs out of the storage directory, reach
 * fauxqs; anything else gets 400 before fauxqs sees it.
 */
function refusal(req: IncomingMessage): string | undefined {
  const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!loopbackHosts.has(hostname) && !hostname.endsWith('.localhost')) return `host ${hostname || '(none)'} is not loopback`;
  const path = (req.url ?? '/').split('?')[0]!;
  const copySource = req.headers['x-amz-copy-source'];
  if (escapesStorage(path) || (typeof copySource === 'string' && escapesStorage(copySource.split('?')[0]!))) {
    return 'object keys with "." or ".." segments are refused';
  }
  return undefined;
}

function guardRequests(server: net.Server) {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req);
    if (refused) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${refused}\n`);
      return;
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
}

/**
 * `startFauxqs` on 127.0.0.1 only. fauxqs 2.4 listens on 0.0.0.0 whatever its options say (its `host`
 * names queue URLs, not the interface), so the first `listen` it makes is redirected to loopback and
 * its request handler put behind `refusal`. The emulator has no authentication: nothing but this
 * machine may reach it.
 */
export async function startFauxqsOnLoopback(options: FauxqsOptions): Promise<FauxqsServer> {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    net.Server.prototype.listen = listen;
    const [first] = args;
    if (first && typeof first === 'object') args[0] = { ...first, host: '127.0.0.1' };
    else if (typeof first === 'number') args.splice(1, typeof args[1] === 'string' ? 1 : 0, '127.0.0.1');
    guardRequests(this);
    return listen.apply(this, args as Parameters<typeof listen>);
  } as typeof listen;
  try {
    return await startFauxqs(options);
  } finally {
    net.Server.prototype.listen = listen;
  }
}
