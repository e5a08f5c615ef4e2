import { describe, expect, it } from 'vitest';
import { bareHost, isPrivateAddress } from '#shared/http/address-guard.ts';
import { assertTargetAllowed, resolveTargetHost, TargetNotAllowedError } from '#shared/http/safe-request.ts';

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
    ['carrier-grade NAT, top of the range', '100.127.255.255'],
    ['this network, not only 0.0.0.0', '0.1.2.3'],
    ['IETF protocol assignments', '192.0.0.8'],
    ['documentation TEST-NET-1', '192.0.2.1'],
    ['documentation TEST-NET-2', '198.51.100.1'],
    ['documentation TEST-NET-3', '203.0.113.7'],
    ['benchmarking', '198.18.0.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['the old 6to4 relay anycast', '192.88.99.1'],
    ['decimal IPv4', '2130706433'],
    ['octal IPv4', '0177.0.0.1'],
    ['hex IPv4', '0x7f.1'],
    ['short IPv4', '127.1'],
    ['one hex number', '0x7f000001'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 link-local with a zone id', 'fe80::1%eth0'],
    ['a public IPv6 address with a zone id', '2606:4700:4700::1111%eth0'],
    ['IPv6 site-local', 'fec0::1'],
    ['IPv6 discard', '100::1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['IPv6 benchmarking', '2001:2::1'],
    ['IPv6 outside global unicast 2000::/3', '4000::1'],
    ['IPv4-compatible loopback', '::127.0.0.1'],
    ['IPv4-compatible loopback in hex', '::7f00:1'],
    ['IPv4-compatible private', '::a00:1'],
    ['IPv4-translated loopback', '::ffff:0:127.0.0.1'],
    ['IPv4-translated private', '::ffff:0:a00:1'],
    ['NAT64 loopback', '64:ff9b::127.0.0.1'],
    ['NAT64 private', '64:ff9b::a00:1'],
    ['NAT64 metadata', '64:ff9b::a9fe:a9fe'],
    ['local-use NAT64 private', '64:ff9b:1::a00:1'],
    ['local-use NAT64 even with a public IPv4 (its layout is the operator’s)', '64:ff9b:1::808:808'],
    ['6to4 loopback', '2002:7f00:1::1'],
    ['6to4 private', '2002:c0a8:1::1'],
    ['6to4 metadata', '2002:a9fe:a9fe::'],
    ['Teredo with a private client (10.0.0.1)', '2001:0:4136:e378:8000:63bf:f5ff:fffe'],
    ['Teredo with a loopback client (127.0.0.1)', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
    ['Teredo with a documentation client (192.0.2.45)', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ])('refuses %s (%s)', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['a public IPv4 address', '8.8.8.8'],
    ['another public IPv4 address', '1.1.1.1'],
    ['a public IPv4 address next to a private range', '172.32.0.1'],
    ['a public IPv4 address next to link-local', '169.255.0.1'],
    ['a public IPv6 address', '2606:4700:4700::1111'],
    ['another public IPv6 address', '2a00:1450:4001:81c::200e'],
    ['6to4 embedding a public IPv4 (8.8.8.8)', '2002:808:808::1'],
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['NAT64 of a public IPv4 (DNS64 in an IPv6-only subnet)', '64:ff9b::8.8.8.8'],
    ['Teredo with a public client (8.8.8.8)', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
  ])('allows %s (%s)', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('reads both spellings of an IPv4-compatible address alike, by the IPv4 inside', () => {
    expect(isPrivateAddress('::8.8.8.8')).toBe(isPrivateAddress('::808:808'));
    expect(isPrivateAddress('::10.0.0.1')).toBe(isPrivateAddress('::a00:1'));
    expect(isPrivateAddress('::808:808')).toBe(false);
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
    'https://0177.0.0.1/hook',
    'https://127.1/hook',
    'https://127.0.0.1./hook',
    'https://localhost./hook',
    'https://LOCALHOST/hook',
    'https://api.localhost./hook',
    'https://user@127.0.0.1/hook',
    'https://user:secret@[::1]/hook',
    'https://hooks.example.com@10.0.0.1/hook',
    'https://0.0.0.0/hook',
    'https://100.64.0.1/hook',
    'https://192.0.2.1/hook',
    'https://198.51.100.1/hook',
    'https://203.0.113.7/hook',
    'https://198.18.0.1/hook',
    'https://255.255.255.255/hook',
    'https://224.0.0.1/hook',
    'https://[::]/hook',
    'https://[ff02::1]/hook',
    'https://[fd00:ec2::254]/hook',
    'https://[fec0::1]/hook',
    'https://[100::1]/hook',
    'https://[2001:db8::1]/hook',
    'https://[::127.0.0.1]/hook',
    'https://[::ffff:0:127.0.0.1]/hook',
    'https://[64:ff9b::10.0.0.1]/hook',
    'https://[64:ff9b:1::10.0.0.1]/hook',
    'https://[2002:a9fe:a9fe::]/hook',
    'https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook',
  ])('refuses %s', (url) => {
    expect(() => assertTargetAllowed(new URL(url), strict)).toThrow(TargetNotAllowedError);
  });

  it('refuses an IPv6 zone id: the URL does not parse, and the address itself is not public', () => {
    expect(() => new URL('https://[fe80::1%25eth0]/hook')).toThrow(TypeError);
    expect(isPrivateAddress('fe80::1%eth0')).toBe(true);
  });

  it('refuses http:// even to a public host', () => {
    expect(() => assertTargetAllowed(new URL('http://hooks.example.com/'), strict)).toThrow(/https/);
  });

  it.each([
    'https://hooks.example.com/herald',
    'https://[2606:4700:4700::1111]/hook',
    'https://8.8.8.8/hook',
    'https://1.1.1.1/hook',
    'https://[2002:808:808::1]/hook',
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

describe('resolveTargetHost (SMTP hosts, checked before any DNS lookup)', () => {
  it.each([
    '127.0.0.1',
    '2130706433',
    '0177.0.0.1',
    '0x7f.1',
    '127.1',
    'localhost',
    'localhost.',
    'mail.localhost.',
    '[::1]',
    '::ffff:127.0.0.1',
    'fe80::1%eth0',
    '169.254.169.254',
    '[fd00:ec2::254]',
  ])('refuses %s', async (host) => {
    await expect(resolveTargetHost(host, strict)).rejects.toBeInstanceOf(TargetNotAllowedError);
  });

  it('returns a public IP literal as it is', async () => {
    await expect(resolveTargetHost('8.8.8.8', strict)).resolves.toBe('8.8.8.8');
    await expect(resolveTargetHost('[2606:4700:4700::1111]', strict)).resolves.toBe('2606:4700:4700::1111');
  });

  it('returns a private IP literal when private targets are allowed', async () => {
    await expect(resolveTargetHost('127.0.0.1', relaxed)).resolves.toBe('127.0.0.1');
  });
});
