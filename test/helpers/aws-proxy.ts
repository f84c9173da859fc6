import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy. */
export interface AwsCall {
  method: string;
  path: string;
  /** The SQS JSON action (`ChangeMessageVisibility` …); undefined for S3. */
  action: string | undefined;
  body: string;
  /** The status the proxy answered itself with, instead of forwarding. */
  injected: number | undefined;
}

/** Decides, per request, to answer with this status instead of forwarding; undefined lets it through. */
export type Interceptor = (call: AwsCall) => number | undefined;

export interface AwsProxy {
  endpoint: string;
  calls: AwsCall[];
  intercept(decide: Interceptor): void;
  close(): Promise<void>;
}

const errorBody = (status: number) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 503 ? 'SlowDown' : 'InternalError'}</Code><Message>injected by the test proxy</Message></Error>`;

/**
 * An HTTP proxy in front of the SQS/S3 emulator that records every call and can answer chosen
 * requests with a 5xx, the way S3 sheds load. Point an AppContext's AWS clients at `endpoint`.
 */
export async function startAwsProxy(target: string): Promise<AwsProxy> {
  const upstream = new URL(target);
  const calls: AwsCall[] = [];
  const interceptors: Interceptor[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = req.headers['x-amz-target'];
      const call: AwsCall = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        action: typeof target === 'string' ? target.split('.').pop() : undefined,
        body: body.toString('utf8'),
        injected: undefined,
      };
      calls.push(call);
      call.injected = interceptors.map((decide) => decide(call)).find((status) => status !== undefined);
      if (call.injected !== undefined) {
        res.writeHead(call.injected, { 'content-type': 'application/xml' }).end(errorBody(call.injected));
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => res.destroy(error));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    intercept: (decide) => interceptors.push(decide),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
