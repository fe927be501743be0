/** Pod-to-pod connectivity matrices: one grid of verdicts per protocol/port. */
import type { IPAddress } from '../ip/address.js';
import { hasPorts, parseProtocol, protocolName, PROTOCOL_NUMBERS } from '../model/protocol.js';
import type { Pod } from '../model/types.js';
import type { Engine } from './engine.js';

export interface PortSpec {
  readonly protocol: number;
  readonly port?: number;
}

/** `80`, `TCP/80`, `udp/53`, `ICMP`, `132/9`: a protocol (default TCP) and a port where it has ports. */
export function parsePortSpec(text: string): PortSpec | undefined {
  const [a, b] = text.split('/');
  const numeric = (s: string | undefined): number | undefined => (s !== undefined && /^[0-9]{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
  if (b === undefined && numeric(a) !== undefined) return { protocol: PROTOCOL_NUMBERS.TCP, port: numeric(a)! };
  const protocol = parseProtocol(a);
  if (protocol === undefined) return undefined;
  if (hasPorts(protocol)) {
    const port = numeric(b);
    return port === undefined ? undefined : { protocol, port };
  }
  return b === undefined ? { protocol } : undefined;
}

export const formatPortSpec = (p: PortSpec): string => (p.port === undefined ? protocolName(p.protocol) : `${protocolName(p.protocol)}/${p.port}`);

export interface Matrix {
  readonly port: string;
  /** `namespace/name` of each pod, rows (sources) and columns (destinations) alike. */
  readonly pods: readonly string[];
  /** allowed[i][j]: pods[i] may open a connection to pods[j]. */
  readonly allowed: readonly (readonly boolean[])[];
}

/** Pods that can be endpoints: pod-network, not finished, with an IP. */
export function matrixPods(engine: Engine, namespaces?: readonly string[]): Pod[] {
  return engine.index.cluster.pods
    .filter((p) => !p.hostNetwork && p.ips.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed')
    .filter((p) => !namespaces || namespaces.length === 0 || namespaces.includes(p.namespace))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

function commonPair(a: Pod, b: Pod): [IPAddress, IPAddress] | undefined {
  for (const family of [4, 6]) {
    const x = a.ips.find((ip) => ip.family === family);
    const y = b.ips.find((ip) => ip.family === family);
    if (x && y) return [x, y];
  }
  return undefined;
}

export function connectivityMatrix(engine: Engine, ports: readonly PortSpec[], namespaces?: readonly string[]): Matrix[] {
  const pods = matrixPods(engine, namespaces);
  return ports.map((spec) => ({
    port: formatPortSpec(spec),
    pods: pods.map((p) => `${p.namespace}/${p.name}`),
    allowed: pods.map((src) =>
      pods.map((dst) => {
        const pair = commonPair(src, dst);
        if (!pair) return false; // no common family: no connection is possible
        return engine.verdict({ src: pair[0], dst: pair[1], protocol: spec.protocol, ...(spec.port !== undefined && { port: spec.port }) }).allowed;
      }),
    ),
  }));
}
