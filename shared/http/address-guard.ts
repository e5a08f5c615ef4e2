import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** IPv6 ranges ipaddr.js does not name. */
const parseRanges = () => ({
  /** Global unicast (2000::/3): the only IPv6 space routed on the internet. */
  globalUnicast: ipaddr.IPv6.parseCIDR('2000::/3'),
  /** IPv4-compatible (`::a.b.c.d`, deprecated), which ipaddr.js has no range for. */
  ipv4Compatible: ipaddr.IPv6.parseCIDR('::/96'),
  /** NAT64 local-use prefix (RFC 8215): its operator chooses where the IPv4 sits, so it cannot be read. */
  localUseNat64: ipaddr.IPv6.parseCIDR('64:ff9b:1::/48'),
});

/** Parsed on first use, not at every cold start (the parse compiles ipaddr.js's parser). */
let ranges: ReturnType<typeof parseRanges> | undefined;
const ipv6Ranges = (): ReturnType<typeof parseRanges> => {
  ranges ??= parseRanges();
  return ranges;
};

const ipv4FromGroups = (high: number, low: number): ipaddr.IPv4 =>
  new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

/**
 * The IPv4 address a transition address carries: IPv4-mapped, -translated or -compatible, NAT64,
 * 6to4, or a Teredo client (stored inverted).
 */
const embeddedIPv4 = (address: ipaddr.IPv6): ipaddr.IPv4 | undefined => {
  const [, group1 = 0, group2 = 0, , , , group6 = 0, group7 = 0] = address.parts;
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return ipv4FromGroups(group6, group7);
    case '6to4':
      return ipv4FromGroups(group1, group2);
    case 'teredo':
      return ipv4FromGroups(group6 ^ 0xffff, group7 ^ 0xffff);
    default:
      // ipaddr.js reads `::8.8.8.8` as mapped but `::808:808` as unicast: decode both the same way.
      return address.match(ipv6Ranges().ipv4Compatible) ? ipv4FromGroups(group6, group7) : undefined;
  }
};

/**
 * Public means: IPv4 that ipaddr.js classifies as `unicast` (not private, loopback, link-local, CGNAT,
 * reserved, documentation, benchmarking…); IPv6 `unicast` inside 2000::/3 without a zone id; or an IPv6
 * transition address whose embedded IPv4 is public by the same rule.
 */
const isPublic = (address: ipaddr.IPv4 | ipaddr.IPv6): boolean => {
  if (address instanceof ipaddr.IPv4) return address.range() === 'unicast';
  if (address.zoneId !== undefined) return false;
  const embedded = embeddedIPv4(address);
  if (embedded !== undefined) return !address.match(ipv6Ranges().localUseNat64) && isPublic(embedded);
  return address.range() === 'unicast' && address.match(ipv6Ranges().globalUnicast);
};

/**
 * Whether an IP address is anything but public (SPEC §5): private, loopback, link-local, metadata,
 * documentation, an IPv6 form embedding such an IPv4, and so on. Reads the legacy IPv4 spellings too
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`). False for a host name, which is checked by its DNS answers.
 */
export const isPrivateAddress = (address: string): boolean => {
  if (!ipaddr.isValid(address)) return isIP(address) !== 0; // an IP Node accepts but ipaddr.js cannot read
  return !isPublic(ipaddr.parse(address));
};

/** Host name without IPv6 brackets. */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');
