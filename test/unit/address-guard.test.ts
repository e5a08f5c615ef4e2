import { describe, expect, it } from 'vitest';
import { bareHost, isPrivateAddress } from '#shared/http/address-guard.ts';
import { assertTargetAllowed, TargetNotAllowedError } from '#shared/http/safe-request.ts';

const strict = { allowPrivateTargets: false };
const relaxed = { allowPrivateTargets: true };

describe('isPrivateAddress', () => {
  it.each([
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.31.255.255'],
    ['private 192.168/16', '192.168.0.1'],
    ['loopback', '127.0.0.1'],
    ['loopback range', '127.255.0.9'],
    ['link-local', '169.254.10.20'],
    ['the metadata address', '169.254.169.254'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['this network', '0.0.0.0'],
    ['multicast', '224.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv6 unique local', 'fd00::1'],
    ['the IPv6 metadata address', 'fd00:ec2::254'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped loopback in hex', '::ffff:7f00:1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
  ])('refuses %s (%s)', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['a public IPv4 address', '8.8.8.8'],
    ['another public IPv4 address', '1.1.1.1'],
    ['a public IPv4 address next to a private range', '172.32.0.1'],
    ['a public IPv4 address next to link-local', '169.255.0.1'],
    ['a public IPv6 address', '2606:4700:4700::1111'],
  ])('allows %s (%s)', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('is false for something that is not an IP address', () => {
    expect(isPrivateAddress('example.com')).toBe(false);
  });
});

describe('bareHost', () => {
  it('strips IPv6 brackets', () => {
    expect(bareHost('[::1]')).toBe('::1');
    expect(bareHost('example.com')).toBe('example.com');
  });
});

describe('assertTargetAllowed', () => {
  it.each([
    'https://10.0.0.5/hook',
    'https://127.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hook',
    'https://[fd12:3456::1]/hook',
    'https://[fe80::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook',
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://2130706433/hook',
    'https://0x7f.1/hook',
  ])('refuses %s', (url) => {
    expect(() => assertTargetAllowed(new URL(url), strict)).toThrow(TargetNotAllowedError);
  });

  it('refuses http:// even to a public host', () => {
    expect(() => assertTargetAllowed(new URL('http://hooks.example.com/'), strict)).toThrow(/https/);
  });

  it.each([
    'https://hooks.example.com/herald',
    'https://[2606:4700:4700::1111]/hook',
    'https://8.8.8.8/hook',
  ])('allows the public target %s', (url) => {
    expect(() => assertTargetAllowed(new URL(url), strict)).not.toThrow();
  });

  it('allows http:// and private addresses when private targets are allowed', () => {
    expect(() => assertTargetAllowed(new URL('http://127.0.0.1:8080/hook'), relaxed)).not.toThrow();
    expect(() => assertTargetAllowed(new URL('https://10.0.0.5/hook'), relaxed)).not.toThrow();
  });

  it('refuses schemes other than http(s) even when private targets are allowed', () => {
    expect(() => assertTargetAllowed(new URL('file:///etc/passwd'), relaxed)).toThrow(TargetNotAllowedError);
    expect(() => assertTargetAllowed(new URL('ftp://example.com/'), relaxed)).toThrow(TargetNotAllowedError);
  });
});
