import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Polls until `check` holds (never a fixed sleep); fails after a generous deadline. */
export async function until(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * A hand-driven gateway on loopback: the test writes exactly the bytes it wants (garbage, split
 * elements) to each connection. Real sockets; nothing of ours is replaced.
 */
export class ScriptedGateway {
  readonly connections: Socket[] = [];
  readonly received: string[] = [];
  private server: Server | null = null;

  constructor(private readonly onConnection: (socket: Socket) => void = () => undefined) {}

  async start(): Promise<number> {
    const server = createServer((socket) => {
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => this.received.push(chunk));
      socket.on('error', () => undefined);
      this.connections.push(socket);
      this.onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Everything the client wrote, joined. */
  get text(): string {
    return this.received.join('');
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Answers the client's handshake like socketcand, then leaves the socket to the test. */
export function answerHandshake(socket: Socket): void {
  socket.write('< hi >');
  let seen = '';
  const onData = (chunk: string): void => {
    seen += chunk;
    if (seen.includes('< open can0 >') && !seen.includes('#opened')) {
      seen += '#opened';
      socket.write('< ok >');
    }
    if (seen.includes('< rawmode >')) {
      socket.off('data', onData);
      socket.write('< ok >');
    }
  };
  socket.on('data', onData);
}
