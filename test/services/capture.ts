// The capture of test/fixtures/services/pre-dnat.pcap, built packet by packet (replay.test.ts
// checks that the fixture is exactly this).
import { ethernet, ipv4, pcap, TCP_FLAGS, tcp } from '../packet/build.js';

const { S, A } = TCP_FLAGS;
const packet = (src: string, dst: string, sport: number, dport: number, flags: number) => ({
  data: ethernet(ipv4({ src, dst, protocol: 6 }, tcp(sport, dport, flags))),
});
/** The capture (its README lists the packets). */
export const capturePackets = (): Uint8Array =>
  pcap([
    packet('10.0.0.2', '10.96.0.10', 40000, 80, S),
    packet('10.96.0.10', '10.0.0.2', 80, 40000, S | A),
    packet('10.0.0.2', '10.96.0.10', 40000, 80, A),
    packet('10.0.0.3', '10.96.0.10', 40001, 80, S),
    packet('10.0.0.2', '192.168.0.1', 40002, 30080, S),
    packet('10.0.0.2', '10.96.0.10', 40003, 443, S),
  ]);
