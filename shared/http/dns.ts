import { lookup, Resolver } from 'node:dns/promises';

/** One DNS answer for a host name. */
export interface DnsAnswer {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Every address a host name resolves to (an empty list or an error when it has none). */
export type LookupAll = (hostname: string) => Promise<DnsAnswer[]>;

/** The system resolver (`getaddrinfo`, as Node's own connections use). */
export const systemLookup: LookupAll = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/**
 * Resolves through the given DNS servers (`host` or `host:port`) instead of the system's: A and AAAA
 * answers together. For stacks told to use their own resolvers, and for the tests' DNS stub.
 */
export const serversLookup = (servers: readonly string[]): LookupAll => {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...servers]);
  return async (hostname) => {
    const name = hostname.replace(/\.+$/, '');
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const answers: DnsAnswer[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (answers.length === 0 && v4.status === 'rejected') throw v4.reason;
    return answers;
  };
};

/** The lookup a function uses: its configured DNS servers, or the system resolver when none. */
export const lookupFor = (servers: readonly string[]): LookupAll =>
  servers.length > 0 ? serversLookup(servers) : systemLookup;
