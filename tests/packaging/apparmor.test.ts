import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRepoText, readRepoYaml, repoPath } from './lib/repo-files';

/**
 * apparmor.txt, checked with Debian's apparmor_parser (package `apparmor`, installed by scripts/setup.sh) without
 * loading anything into a kernel: `-Q` (--skip-kernel-load) compiles the profile completely, `-K --skip-cache`
 * keeps the parser away from its cache directory, and with those it runs unprivileged (checked as `nobody` on
 * parser 3.0.8). `-N` prints the profile names; `-S` writes the compiled policy to stdout.
 */

const manifest = readRepoYaml('config.yaml') as { slug: string; map: string[]; devices: string[]; host_dbus?: boolean };
const profile = readRepoText('apparmor.txt');

function parserPath(): string {
  const found = ['/usr/sbin/apparmor_parser', '/sbin/apparmor_parser'].find((candidate) => existsSync(candidate));
  if (found === undefined)
    throw new Error('apparmor_parser is missing: run `bash scripts/setup.sh` (apt package apparmor)');
  return found;
}

function parse(args: string[], file: string): { status: number | null; stdout: Buffer; stderr: string } {
  const run = spawnSync(parserPath(), [...args, file], { timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString('utf8') };
}

/** The parser's one notice when the machine's kernel has no AppArmor interface (containers, CI): not a finding. */
const withoutKernelNotice = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Cache read/write disabled'))
    .join('\n');

describe('apparmor.txt', () => {
  it('compiles with apparmor_parser -Q, with no warnings', () => {
    const run = parse(['-Q', '-K', '--skip-cache'], repoPath('apparmor.txt'));
    expect({ status: run.status, findings: withoutKernelNotice(run.stderr) }).toEqual({ status: 0, findings: '' });
    // The compiled policy itself, proof that the rules were compiled and not only read.
    const compiled = parse(['-Q', '-K', '--skip-cache', '-S'], repoPath('apparmor.txt'));
    expect(compiled.status).toBe(0);
    expect(compiled.stdout.length).toBeGreaterThan(1000);
  });

  it('names its one profile after the add-on slug, as the Supervisor requires', () => {
    const run = parse(['-N'], repoPath('apparmor.txt'));
    expect(run.status).toBe(0);
    expect(run.stdout.toString('utf8').trim().split('\n')).toEqual([manifest.slug]);
    // The Supervisor reads the name from the one line that starts with `profile ` (no leading space) and refuses
    // a file with none or several.
    expect([...profile.matchAll(/^profile ([^ ]+)/gm)].map((match) => match[1])).toEqual([manifest.slug]);
  });

  it('fails a broken profile (the check can fail)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-apparmor-'));
    try {
      const broken = path.join(dir, 'apparmor.txt');
      writeFileSync(broken, profile.replace('/data/** rwk,', '/data/** rwz,'));
      const run = parse(['-Q', '-K', '--skip-cache'], broken);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('AppArmor parser error');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allows what config.yaml gives the add-on: /data, the HA config map, the I2C devices, BlueZ over D-Bus', () => {
    expect(profile).toMatch(/^\s*\/data\/\*\* rwk,$/m);
    expect(manifest.map).toContain('homeassistant_config:rw');
    expect(profile).toMatch(/^\s*\/homeassistant\/\*\* rwk,$/m);
    // Every mapped I2C bus matches the profile's device rule (AppArmor's [0-9]* here: a digit, then anything).
    const rule = /^\s*(\/dev\/i2c-\[0-9\]\*) rw,$/m.exec(profile)?.[1];
    expect(rule).toBeDefined();
    for (const device of manifest.devices) expect(device).toMatch(/^\/dev\/i2c-[0-9]/);
    expect(manifest.host_dbus).toBe(true);
    expect(profile).toMatch(/^\s*dbus \(send, receive\) bus=system peer=\(name=org\.bluez\),$/m);
    expect(profile).toMatch(/^\s*\/usr\/local\/bin\/node ix,$/m);
  });

  it('allows nothing broader: no blanket file rule, no capabilities, no raw sockets but netlink and CAN, no Bluetooth', () => {
    const rules = profile
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(rules).not.toContain('file,');
    expect(rules.filter((line) => line.startsWith('capability'))).toEqual([]);
    // Raw sockets only for netlink (the interface list) and CAN (SocketCAN frames; config.yaml host_network).
    expect(rules.filter((line) => /^network\s*,|^network .*(raw|packet)/.test(line))).toEqual([
      'network netlink raw,',
      'network can raw,',
    ]);
    expect(rules.filter((line) => /bluetooth/.test(line))).toEqual([]);
    // Writes only below /data, /homeassistant, /tmp, the I2C devices and the D-Bus socket.
    const writable = rules.filter((line) => /^\/\S* [a-z]*w[a-z]*,$/.test(line)).map((line) => line.split(' ')[0]);
    expect(writable).toEqual([
      '/data/**',
      '/homeassistant/**',
      '/tmp/**',
      '/dev/i2c-[0-9]*',
      '/run/dbus/system_bus_socket',
    ]);
  });
});
