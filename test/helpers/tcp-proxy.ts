import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP relay on 127.0.0.1 that can be cut like a network partition and restored. */
export interface TcpProxy {
  port: number;
  /** The same URL with host and port replaced by the proxy's. */
  rewrite(url: string): string;
  /** Destroys every open connection and drops new ones at once (the server looks unreachable). */
  cut(): void;
  restore(): void;
  /** Connections dropped because the proxy was cut. */
  refused(): number;
  close(): Promise<void>;
}

/**
 * Forwards connections to `target` (`host:port`). Between `cut()` and `restore()` the other side
 * sees its sockets die mid-query and every new connection closed before the server says anything.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let isCut = false;
  let refused = 0;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (isCut) {
      refused += 1;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    rewrite(url) {
      const next = new URL(url);
      next.hostname = '127.0.0.1';
      next.port = String(port);
      return next.toString();
    },
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    refused: () => refused,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
