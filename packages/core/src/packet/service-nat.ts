/**
 * kube-proxy's DNAT in front of the packet path, for captures taken before it (on a client
 * pod's interface, a node's uplink): a packet that opens a connection to a Service address and
 * port (a ClusterIP, an external or load-balancer IP, a node address with a nodePort) is judged
 * once per backend the Service translates to, each at its target port (model/services.ts), and
 * passes iff every backend's verdict allows it (fail closed; a Service port with no backend, or
 * a Service address on a port it does not have, is denied). Conntrack keeps the tuple as the
 * capture shows it, so replies from the Service address match the connection, as Linux
 * conntrack matches them on the pre-DNAT tuple.
 *
 * ServiceNat wraps a dataplane as PacketFilter reads it (FilterDataplane): Service and node
 * addresses get entries past the image's (a table of them), which `decide` resolves; every
 * other address is the image's own entry, so captures without Service traffic are judged as
 * without it.
 */
import { DECISION, verdictByte } from '../compile/layout.js';
import { addressWords, ipKey, type IPAddress } from '../ip/address.js';
import type { Kernel } from '../kernels/js-kernel.js';
import type { Explanation, Flow, FlowEnd } from '../model/flow.js';
import type { ServiceBackend, ServiceIndex, ServiceTarget } from '../model/services.js';
import type { FilterDataplane } from './filter.js';

/** What ServiceNat needs of a dataplane: PacketFilter's view, and entries for pods without an address. */
export interface NatDataplane extends FilterDataplane {
  /** The image entry of an address, or of a pod without one (CompiledDataplane.entryOf). */
  entryOf(end: FlowEnd): number;
}

/** Entries at and past this one stand for a Service or node address (the image has far fewer entries). */
const NAT_BASE = 0x40000000;

/** Denied on ingress: a Service port without backends, or a Service address on a port it does not have. */
const NO_BACKEND = verdictByte(DECISION.notApplicable, DECISION.denied);

/** A decided Service connection, for the caller's report. */
export interface NatDecision {
  readonly target: ServiceTarget;
  readonly backends: readonly { readonly backend: ServiceBackend; readonly verdict: number }[];
}

/** The packet path's dataplane with Service DNAT in front (module comment). */
export class ServiceNat implements FilterDataplane {
  readonly kernel: Pick<Kernel, 'entry4' | 'entry6' | 'decide'>;
  /** Address (Service or node) → its NAT entry; the address and the image's own entry per NAT entry. */
  private readonly nat4 = new Map<number, number>();
  private readonly nat6 = new Map<string, number>();
  private readonly addresses: { readonly ip: IPAddress; readonly entry: number }[] = [];
  private readonly decided = new Map<string, NatDecision>();

  constructor(
    readonly inner: NatDataplane,
    readonly services: ServiceIndex,
  ) {
    const k = inner.kernel;
    const add = (ip: IPAddress): void => {
      const key = ipKey(ip);
      if (ip.family === 4 ? this.nat4.has(key as number) : this.nat6.has(key as string)) return;
      const entry = ip.family === 4 ? k.entry4(Number(ip.value)) : k.entry6(Uint32Array.from(addressWords(ip.value, 6)), 0);
      const id = NAT_BASE + this.addresses.length;
      this.addresses.push({ ip, entry });
      if (ip.family === 4) this.nat4.set(key as number, id);
      else this.nat6.set(key as string, id);
    };
    const cluster = services.cluster;
    for (const s of cluster.services ?? []) for (const ip of [...s.clusterIPs, ...s.externalIPs]) add(ip);
    if ((cluster.services ?? []).some((s) => s.ports.some((p) => p.nodePort !== undefined))) for (const n of cluster.nodes) for (const ip of n.ips) add(ip);
    const real = (e: number): number => (e >= NAT_BASE ? this.addresses[e - NAT_BASE]!.entry : e);
    this.kernel = {
      entry4: (a) => this.nat4.get(a) ?? k.entry4(a),
      entry6: (w, o) => (this.nat6.size === 0 ? k.entry6(w, o) : (this.nat6.get(key6(w, o)) ?? k.entry6(w, o))),
      decide: (s, d, protocol, port, established, nameClass = 0) => {
        if (d < NAT_BASE || established) return k.decide(real(s), real(d), protocol, port, established, nameClass);
        const { ip, entry } = this.addresses[d - NAT_BASE]!;
        const hit = this.services.at(ip, protocol, port < 0 ? undefined : port);
        // A node address on a port that is no nodePort: the node itself.
        if (!hit) return k.decide(real(s), entry, protocol, port, established, nameClass);
        if (!('port' in hit)) return NO_BACKEND;
        return this.judge(real(s), hit, protocol, established, nameClass);
      },
    };
  }

  /** One verdict byte for a connection to a Service port: the first denying backend's, else the first's. */
  private judge(s: number, target: ServiceTarget, protocol: number, established: boolean, nameClass: number): number {
    const k = this.inner.kernel;
    const key = targetKey(target);
    const found = this.services.backends(target, target.address?.family);
    const backends = found.backends.map((backend) => {
      if (backend.unjudgeable) return { backend, verdict: NO_BACKEND };
      const d = backend.address ? this.inner.entryOf({ address: backend.address }) : this.inner.entryOf({ pod: backend.pod! });
      return { backend, verdict: k.decide(s, d, protocol, backend.port, established, nameClass) };
    });
    this.decided.set(key, { target, backends });
    if (backends.length === 0) return NO_BACKEND;
    return (backends.find((b) => (b.verdict & 1) === 0) ?? backends[0]!).verdict;
  }

  /** The Service connection last decided for this address and port (its backends and their verdict bytes), if any. */
  decision(address: IPAddress, protocol: number, port: number | undefined): NatDecision | undefined {
    const hit = this.services.at(address, protocol, port);
    return hit && 'port' in hit ? this.decided.get(targetKey(hit)) : undefined;
  }

  /**
   * A denied flow's explanation: for a Service connection, the first denying backend's that has
   * an address (a pod without one has no Flow to explain); otherwise the flow's own.
   */
  explain(flow: Flow): Explanation {
    const d = this.decision(flow.dst, flow.protocol, flow.port);
    const denying = d?.backends.find((b) => (b.verdict & 1) === 0 && b.backend.address);
    const backend = denying?.backend ?? d?.backends.find((b) => b.backend.address)?.backend;
    return this.inner.explain(backend ? { ...flow, dst: backend.address!, port: backend.port } : flow);
  }
}

const targetKey = (t: ServiceTarget): string =>
  `${t.service.namespace}/${t.service.name}|${t.port.protocol}|${t.port.port}|${t.via}|${t.address ? ipKey(t.address) : ''}`;

/** The ipKey of the IPv6 address in `w` at `o` (same text as ipKey makes of the bigint). */
function key6(w: Uint32Array, o: number): string {
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(w[o + i]!);
  return `6:${v.toString(16)}`;
}
