/**
 * A DNS server on loopback whose answers a test sets and changes while it runs: how the SSRF suite
 * makes a name resolve to a public address when a channel is saved and to loopback when it is used
 * (DNS rebinding), or to one public and one private address at once. A and AAAA only; any other name
 * is NXDOMAIN.
 */
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { type Answer, decode, encode, type Packet } from 'dns-packet';

export interface DnsStub {
  /** `host:port`, for a stack's `dnsServers`. */
  readonly address: string;
  /** Sets (replaces) the addresses a name resolves to. */
  answer(name: string, addresses: readonly string[]): void;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

export const startDnsStub = async (): Promise<DnsStub> => {
  const names = new Map<string, readonly string[]>();
  const socket = createSocket('udp4');

  socket.on('message', (message, peer) => {
    let query: Packet;
    try {
      query = decode(message);
    } catch {
      return; // not DNS: ignore
    }
    const [question] = query.questions ?? [];
    if (question === undefined) return;
    const addresses = names.get(question.name.toLowerCase().replace(/\.$/, ''));
    const answers: Answer[] = (addresses ?? [])
      .filter((address) =>
        question.type === 'A' ? isIPv4(address) : question.type === 'AAAA' && !isIPv4(address),
      )
      .map((data) => ({ type: question.type === 'A' ? 'A' : 'AAAA', name: question.name, ttl: 0, data }));
    const response = encode({
      id: query.id ?? 0,
      type: 'response',
      flags: (addresses === undefined ? NXDOMAIN : 0) | 0x0400 | 0x0100, // authoritative, recursion desired
      questions: [question],
      answers,
    });
    socket.send(response, peer.port, peer.address);
  });

  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    answer: (name, addresses) => names.set(name.toLowerCase(), addresses),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
};
