import fc from 'fast-check';
import {
  canFrame,
  formatFrameMessage,
  formatSendCommand,
  formatSocketcandTimestamp,
  parseSocketcandCommand,
  parseSocketcandMessage,
  SocketcandElementReader,
  type ElementReaderProblem,
} from '@sps/can';

function readAll(chunks: readonly string[], max?: number): { elements: string[]; problems: ElementReaderProblem[] } {
  const elements: string[] = [];
  const problems: ElementReaderProblem[] = [];
  const reader = new SocketcandElementReader(
    (e) => elements.push(e),
    (p) => problems.push(p),
    max,
  );
  for (const chunk of chunks) reader.push(chunk);
  return { elements, problems };
}

describe('socketcand messages', () => {
  it('reads the daemon frame format: 3-digit standard id, 8-digit extended id, data as one hex run', () => {
    // Shapes from linux-can/socketcand src/state_raw.c (%03X / %08X, %ld.%06ld, %02X per byte).
    expect(parseSocketcandMessage('frame 351 1700000000.123456 1402B0044006C201')).toEqual({
      ok: true,
      value: {
        kind: 'frame',
        frame: {
          id: 0x351,
          extended: false,
          data: Uint8Array.from([0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01]),
          timestampMs: 1700000000123.456,
        },
      },
    });
    const ext = parseSocketcandMessage('frame 1AAAAAAA 23.424242 01 F1');
    expect(ext.ok && ext.value.kind === 'frame' && ext.value.frame).toMatchObject({ id: 0x1aaaaaaa, extended: true });
    // The same id written with 8 digits is extended even when it would fit 11 bits.
    const padded = parseSocketcandMessage('frame 00000123 1.0 ');
    expect(padded.ok && padded.value.kind === 'frame' && padded.value.frame.extended).toBe(true);
    const empty = parseSocketcandMessage('frame 123 23.424242  ');
    expect(empty.ok && empty.value.kind === 'frame' && empty.value.frame.data.length).toBe(0);
  });

  it('accepts the protocol document’s space-separated bytes too', () => {
    const r = parseSocketcandMessage('frame 123 23.424242 11 22 33 44');
    expect(r.ok && r.value.kind === 'frame' && Array.from(r.value.frame.data)).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  it.each([
    ['frame 800 1.0 00', 'outside'],
    ['frame 123 abc 00', 'timestamp'],
    ['frame 123 1.0 0G', 'hex'],
    ['frame 123 1.0 123', 'odd'],
    ['frame 123 1.0 112233445566778899', 'more than 8'],
    ['frame', 'without id'],
    ['hello there', 'unknown'],
    ['', 'empty'],
    ['hi again', 'unexpected'],
  ])('gives a reason for "%s"', (inner, reason) => {
    const r = parseSocketcandMessage(inner);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('formats send and frame like the daemon', () => {
    expect(formatSendCommand(canFrame(0x305, []))).toBe('< send 305 0 >');
    expect(formatSendCommand(canFrame(0x1aaaaaaa, [1, 0xf1]))).toBe('< send 1AAAAAAA 2 01 F1 >');
    expect(formatFrameMessage(canFrame(0x123, [0x11, 0x22]), 23_424.242)).toBe('< frame 123 23.424242 1122 >');
    expect(formatFrameMessage(canFrame(0x123, []), 1000)).toBe('< frame 123 1.000000  >');
    expect(formatSocketcandTimestamp(1_700_000_000_123.457)).toBe('1700000000.123457');
    expect(formatSocketcandTimestamp(999.9996)).toBe('0.999999');
  });

  it('server side: send checks its length, open names one bus, BCM commands are recognised', () => {
    expect(parseSocketcandCommand('send 1AAAAAAA 2 1 F1')).toMatchObject({
      ok: true,
      value: { kind: 'send', frame: { id: 0x1aaaaaaa, extended: true } },
    });
    expect(parseSocketcandCommand('send 123 3 11 22').ok).toBe(false);
    expect(parseSocketcandCommand('send 123 9').ok).toBe(false);
    expect(parseSocketcandCommand('open can0')).toEqual({ ok: true, value: { kind: 'open', bus: 'can0' } });
    expect(parseSocketcandCommand('open').ok).toBe(false);
    expect(parseSocketcandCommand('subscribe 0 0 123')).toEqual({
      ok: true,
      value: { kind: 'unsupported', command: 'subscribe' },
    });
  });

  it('property: any element text yields a message or a reason, never a throw', () => {
    const tokens = fc.oneof(
      fc.constantFrom('frame', 'hi', 'ok', 'error', 'send', 'open', 'rtr', '123', '1AAAAAAA', '1.5', 'FF', '0'),
      fc.string({ maxLength: 12 }),
      fc.stringMatching(/^[0-9A-Fa-f.]{0,20}$/),
    );
    const elementText = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(tokens, { maxLength: 14 }).map((t) => t.join(' ')),
    );
    fc.assert(
      fc.property(elementText, (text) => {
        const message = parseSocketcandMessage(text);
        const command = parseSocketcandCommand(text);
        for (const r of [message, command]) {
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
        }
        if (message.ok && message.value.kind === 'frame') {
          expect(message.value.frame.data.length).toBeLessThanOrEqual(8);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SocketcandElementReader', () => {
  const stream = '< hi >< ok >\n< frame 351 1.000000 1402B0044006C201 >  < frame 12345678 2.5 01 >< ok >';
  const expected = ['hi', 'ok', 'frame 351 1.000000 1402B0044006C201', 'frame 12345678 2.5 01', 'ok'];

  it('reassembles elements split at every byte position', () => {
    expect(readAll([stream])).toEqual({ elements: expected, problems: [] });
    for (let cut = 1; cut < stream.length; cut += 1) {
      expect(readAll([stream.slice(0, cut), stream.slice(cut)]).elements).toEqual(expected);
    }
    expect(readAll([...stream]).elements).toEqual(expected);
  });

  it('reports text outside elements and a broken element, and keeps going', () => {
    const { elements, problems } = readAll(['junk< hi >more junk\r\n< frame 12', '3 1.0 < ok >']);
    expect(elements).toEqual(['hi', 'ok']);
    expect(problems).toEqual([
      { kind: 'garbage', text: 'junk' },
      { kind: 'garbage', text: 'more junk' },
      { kind: 'garbage', text: '< frame 123 1.0' },
    ]);
  });

  it('skips an element longer than the cap up to its end, then reads on', () => {
    const long = `< frame 123 1.0 ${'A'.repeat(100)} >`;
    const { elements, problems } = readAll(['< hi >', long.slice(0, 40), long.slice(40), '< ok >'], 32);
    expect(elements).toEqual(['hi', 'ok']);
    expect(problems).toEqual([{ kind: 'overlong', length: 40 }]);
    // Garbage without any element start is capped too.
    expect(readAll(['x'.repeat(50), '< ok >'], 32)).toEqual({
      elements: ['ok'],
      problems: [{ kind: 'overlong', length: 50 }],
    });
  });
});
