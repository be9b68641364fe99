// The gdb stub's socket: one gdb connection on loopback TCP (or a Unix
// socket path), bytes in, replies out. While a forward run is in progress
// the stub runs one slice at a time and yields to the event loop between
// slices, so a Ctrl-C from gdb is read; slicing never changes the run.
import { createServer, type Server, type Socket } from 'node:net';
import type { DebugSession } from '../../replay/debugSession.js';
import { GdbStub, type StubOptions } from './stub.js';

export interface ServeOptions extends StubOptions {
  /** TCP port on 127.0.0.1 (0: any free port), or a Unix socket path. */
  listen: number | string;
  /** Told where it listens (the port actually bound), before gdb connects. */
  onListening?: (where: { port?: number; path?: string }) => void;
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serve one gdb connection; resolves when gdb detaches, kills or disconnects. */
export function serveGdb(session: DebugSession, opts: ServeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer();
    let conn: Socket | null = null;
    server.on('error', reject);
    server.on('connection', (sock) => {
      if (conn) {
        sock.end();
        return;
      }
      conn = sock;
      server.close();
      sock.setNoDelay(true);
      opts.log?.(`gdb: connected from ${sock.remoteAddress ?? 'a Unix socket'}`);
      const stub = new GdbStub(session, {
        write: (data) => {
          if (!sock.destroyed) sock.write(Buffer.from(data, 'latin1'));
        },
        close: () => sock.end(),
      }, opts);
      let pumping = false;
      const pump = async (): Promise<void> => {
        if (pumping) return;
        pumping = true;
        try {
          while (stub.isRunning && !sock.destroyed) {
            stub.pump();
            await nextMacrotask();
          }
        } finally {
          pumping = false;
        }
      };
      sock.on('data', (d: Buffer) => {
        try {
          stub.receive(d.toString('latin1'));
        } catch (e) {
          opts.log?.(`gdb: internal error: ${(e as Error).message}`);
          sock.destroy();
          return;
        }
        void pump();
      });
      const done = (): void => {
        stub.close();
        opts.log?.('gdb: disconnected');
        resolve();
      };
      sock.on('close', done);
      sock.on('error', () => sock.destroy());
    });
    const onListening = (): void => {
      const a = server.address();
      if (typeof a === 'string') opts.onListening?.({ path: a });
      else if (a) opts.onListening?.({ port: a.port });
    };
    if (typeof opts.listen === 'number') server.listen(opts.listen, '127.0.0.1', onListening);
    else server.listen(opts.listen, onListening);
  });
}

/** What to type in gdb to connect. */
export function gdbCommand(where: { port?: number; path?: string }): string {
  const target = where.port !== undefined ? `localhost:${where.port}` : where.path!;
  return `gdb-multiarch -ex 'set architecture aarch64' -ex 'target remote ${target}'`;
}
