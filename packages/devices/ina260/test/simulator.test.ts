import { ManualClock } from '@sps/core';
import { clearSky, decodeConfig, DEFAULT_PANEL, Ina260Chip, panelOutput, REGISTER } from '@sps/device-ina260';

const word = (bytes: Uint8Array): number => ((bytes[0] as number) << 8) | (bytes[1] as number);

describe('the simulated INA260', () => {
  it('answers the identity and power-on configuration', () => {
    const chip = new Ina260Chip({ clock: new ManualClock() });
    expect(word(chip.readRegister(REGISTER.MANUFACTURER_ID, 2))).toBe(0x5449);
    expect(word(chip.readRegister(REGISTER.DIE_ID, 2))).toBe(0x2270);
    expect(word(chip.readRegister(REGISTER.CONFIGURATION, 2))).toBe(0x6127);
  });

  it('keeps the read-only bits, resets on RST, ignores writes to measurement registers', () => {
    const chip = new Ina260Chip({ clock: new ManualClock() });
    chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x07, 0x27));
    expect(word(chip.readRegister(REGISTER.CONFIGURATION, 2))).toBe(0x6727);
    chip.writeRegister(REGISTER.ALERT_LIMIT, Uint8Array.of(0x12, 0x34));
    chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x80, 0x00));
    expect(word(chip.readRegister(REGISTER.CONFIGURATION, 2))).toBe(0x6127);
    expect(word(chip.readRegister(REGISTER.ALERT_LIMIT, 2))).toBe(0);
    chip.writeRegister(REGISTER.DIE_ID, Uint8Array.of(0, 0));
    expect(word(chip.readRegister(REGISTER.DIE_ID, 2))).toBe(0x2270);
  });

  it('is dark at night and produces near its peak around noon', () => {
    const clock = new ManualClock('2026-01-15T00:00:00Z');
    const chip = new Ina260Chip({ clock });
    expect(chip.state).toMatchObject({ voltageV: 0, currentA: 0, powerW: 0 });
    clock.set('2026-01-15T12:00:00Z');
    expect(chip.state.powerW).toBeGreaterThan(50);
    expect(chip.state.voltageV).toBeLessThan(36);
    expect(clearSky(12, DEFAULT_PANEL)).toBeCloseTo(1, 6);
    expect(panelOutput(Date.parse('2026-01-15T03:00:00Z'), DEFAULT_PANEL).powerW).toBe(0);
  });

  it('freezes the measurements in power-down mode', async () => {
    const clock = new ManualClock('2026-01-15T10:00:00Z');
    const chip = new Ina260Chip({ clock });
    chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x61, 0x20));
    const held = chip.state.registers;
    await clock.advance(3_600_000);
    expect(chip.state.registers).toEqual(held);
    expect(decodeConfig(chip.state.config.word).mode).toBe('power_down');
  });

  it('averaging makes the readings quieter', () => {
    const spread = (averaging: number): number => {
      const clock = new ManualClock('2026-01-15T12:00:00Z');
      const chip = new Ina260Chip({ clock, panel: { peakPowerW: 0 } });
      const avgBits = [1, 4, 16, 64, 128, 256, 512, 1024].indexOf(averaging) << 1;
      chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x60 | avgBits, 0x27));
      chip.setOverride(null);
      const values: number[] = [];
      for (let i = 0; i < 200; i++) {
        clock.set(Date.parse('2026-01-15T12:00:00Z') + i * 100);
        values.push(chip.state.voltageV);
      }
      return Math.max(...values) - Math.min(...values);
    };
    expect(spread(1024)).toBeLessThan(spread(1) / 4);
  });
});
