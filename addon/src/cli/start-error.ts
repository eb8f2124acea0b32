/**
 * Why the add-on could not start, as one line a new user can act on. A busy port is the common
 * case (a second `pnpm start`, another program on 8099): say which port and how to pick another,
 * in each form that works (`pnpm start` forwards its arguments with or without `--`).
 */
export function startErrorLine(err: unknown, port: number | undefined): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    const which = port === undefined ? 'the web panel port' : `port ${port}`;
    return (
      `${which} is already in use (another sps demo/run, or another program): choose a free one with --port N, ` +
      'e.g. pnpm start --port 8101 or pnpm start -- --port 8101 (0 = any free port)'
    );
  }
  if (code === 'EACCES' && port !== undefined) {
    return `port ${port} needs privileges on this machine: choose one above 1023 with --port N`;
  }
  return err instanceof Error ? err.message : String(err);
}
