import { createServer } from 'node:net';
import { listenOn } from '@sps/core';

describe('listenOn', () => {
  it('binds loopback on a free port and resolves to it', async () => {
    const server = createServer();
    const port = await listenOn(server);
    expect(port).toBeGreaterThan(0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects when the port is taken, and leaves no listener behind', async () => {
    const first = createServer();
    const port = await listenOn(first);
    const second = createServer();
    await expect(listenOn(second, { host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(second.listening).toBe(false);
    await new Promise<void>((resolve) => first.close(() => resolve()));
  });
});
