// Web process: HTTP on $PORT with / and /healthz; graceful shutdown on SIGTERM/SIGINT.
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
const host = process.env.HOST || undefined; // undefined: all interfaces
const appName = process.env.APP_NAME || 'slipway-sample-node';
const greeting = process.env.GREETING || 'hello';
let shuttingDown = false;

const server = http.createServer((req, res) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  if (shuttingDown) res.setHeader('Connection', 'close');

  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/') {
    res.end(`hello from ${appName} (${greeting})\n`);
  } else if (url.pathname === '/healthz') {
    res.statusCode = shuttingDown ? 503 : 200;
    res.end(shuttingDown ? 'shutting down\n' : 'ok\n');
  } else if (url.pathname === '/slow') {
    // Answers after ?ms= milliseconds (max 10 s): an in-flight request to try shutdown with.
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 10000);
    setTimeout(() => res.end(`slept ${ms}ms\n`), ms);
  } else {
    res.statusCode = 404;
    res.end('not found\n');
  }
});

server.listen(port, host, () => {
  const a = server.address();
  console.log(`web listening on ${a.address}:${a.port}`);
});

function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`received ${signal}, shutting down`);
  // Stop accepting; close() waits for in-flight requests to finish.
  server.close(() => {
    console.log('web stopped cleanly');
    process.exit(0);
  });
  server.closeIdleConnections(); // keep-alive sockets with no request in flight
  setTimeout(() => {
    console.error('requests still running after 10s, exiting');
    process.exit(1);
  }, 10000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
