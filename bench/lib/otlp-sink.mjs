// A local OTLP/HTTP receiver for the bench that accepts every export and drops
// it, as a collector would, so that the traced server pays for making,
// encoding and sending its spans and nothing else. It counts what it got, so
// that a run can show its spans really were exported.
import http from 'node:http';

export async function startOtlpSink() {
  let requests = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (c) => (bytes += c.length));
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts: () => ({ requests, bytes }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
