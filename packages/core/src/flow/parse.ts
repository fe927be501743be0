/**
 * Flow records as users write them (JSON Lines: {"src", "dst", "protocol", "port"}, optionally
 * "icmpType", "established" and "dstName", the DNS name the source resolved), turned
 * into model Flows. `src`/`dst` are IPs or `namespace/pod`; a pod resolves to its IP of the
 * family the other end uses (IPv4 first when both are pods with both families). A Succeeded or
 * Failed pod is refused (it holds no address). `port` is a number or a number as a string
 * (`"8080"`); names (`"http"`) are parseFlowRecord's, which knows the destination pod.
 */
import { parseIP, type Family, type IPAddress } from '../ip/address.js';
import { truncate } from '../load/issues.js';
import { isTerminal, type ClusterIndex } from '../model/cluster-index.js';
import type { Flow } from '../model/flow.js';
import { hasPorts, parseProtocol, PROTOCOL_NUMBERS } from '../model/protocol.js';

/** parseFlow's result: the flow, or why the record is not one (a message naming the field). */
export type FlowParse = { readonly ok: true; readonly flow: Flow } | { readonly ok: false; readonly error: string };

/** The addresses a flow record's `src` or `dst` names (an IP, or `namespace/pod`'s IPs), or why it names none. */
export function candidates(field: 'src' | 'dst', value: unknown, index: ClusterIndex): IPAddress[] | string {
  if (typeof value !== 'string' || value === '') return `"${field}" must be an IP address or "namespace/pod"`;
  const ip = parseIP(value);
  if (ip) return [ip];
  const slash = value.indexOf('/');
  if (slash > 0 && !value.includes('/', slash + 1)) {
    const pod = index.podByName(value.slice(0, slash), value.slice(slash + 1));
    if (!pod) return `"${field}": no pod ${truncate(value)} in the input`;
    if (isTerminal(pod)) return terminalPod(field, pod);
    if (pod.ips.length === 0) return `"${field}": pod ${truncate(value)} has no IP (status.podIPs is empty)`;
    return [...pod.ips];
  }
  return `"${field}": ${JSON.stringify(truncate(value))} is neither an IP address nor "namespace/pod"`;
}

/**
 * Why a flow cannot name a Succeeded or Failed pod: it takes no part in policy and holds no
 * address in the dataplane (its IP may already be another pod's), so judging its IP would judge
 * some other end.
 */
export function terminalPod(field: 'src' | 'dst', pod: { readonly namespace: string; readonly name: string; readonly phase: string }): string {
  return `"${field}": pod ${truncate(`${pod.namespace}/${pod.name}`)} is ${pod.phase}: a finished pod does not count (it holds no address in the dataplane, and its IP may already be another pod's)`;
}

/** The first family (IPv4, then IPv6) both lists have an address of. */
export function pickFamily(a: readonly IPAddress[], b: readonly IPAddress[]): Family | undefined {
  for (const f of [4, 6] as const) if (a.some((x) => x.family === f) && b.some((x) => x.family === f)) return f;
  return undefined;
}

/** A DNS name as a resolver hands it out: dot-separated labels of letters, digits, `-` and `_`, at most 253 characters. */
const DNS_NAME = /^(?=.{1,253}\.?$)([a-zA-Z0-9_]([-a-zA-Z0-9_]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([-a-zA-Z0-9_]{0,61}[a-zA-Z0-9_])?\.?$/;

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

/** A record's `port`: a number, or a number written as a string (`"8080"`, as YAML-minded users write it). */
const portNumber = (v: unknown): unknown => (typeof v === 'string' && /^[0-9]{1,5}$/.test(v) ? Number(v) : v);

/**
 * A flow record (a parsed JSON object: `src`, `dst`, optional `protocol`, `port`, `icmpType`,
 * `established`, `dstName`) → a Flow, with `namespace/pod` ends resolved through `index` (an
 * engine's `index`). Never throws: a bad record gives `{ ok: false, error }`.
 *
 * @example
 * const parsed = parseFlow({ src: 'prod/web', dst: '10.0.0.7', protocol: 'TCP', port: 5432 }, dataplane.index);
 * if (parsed.ok) console.log(dataplane.verdict(parsed.flow));
 */
export function parseFlow(input: unknown, index: ClusterIndex): FlowParse {
  const fail = (error: string): FlowParse => ({ ok: false, error });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('a flow must be a JSON object');
  const rec = input as Record<string, unknown>;
  const src = candidates('src', rec['src'], index);
  if (typeof src === 'string') return fail(src);
  const dst = candidates('dst', rec['dst'], index);
  if (typeof dst === 'string') return fail(dst);
  const family = pickFamily(src, dst);
  if (family === undefined) return fail(`"src" and "dst" have no address family in common (policy matching is family-strict)`);
  const fields = flowFields(rec);
  if (typeof fields === 'string') return fail(fields);
  return { ok: true, flow: { src: src.find((x) => x.family === family)!, dst: dst.find((x) => x.family === family)!, ...fields } };
}

/** What a flow record says besides its ends: protocol, port, icmpType, dstName, established; or why it is not valid. */
export type FlowFields = Omit<Flow, 'src' | 'dst'>;

/** The fields of a flow record other than its ends, validated (parseFlow's messages); a string says what is wrong. */
export function flowFields(rec: Record<string, unknown>): FlowFields | string {
  const protocol = rec['protocol'] === undefined ? PROTOCOL_NUMBERS.TCP : parseProtocol(rec['protocol']);
  if (protocol === undefined) return `"protocol" must be TCP, UDP, SCTP, ICMP, ICMPv6 or a protocol number 0-255`;
  const flow: { -readonly [K in keyof FlowFields]: FlowFields[K] } = { protocol };
  if (hasPorts(protocol)) {
    const port = portNumber(rec['port']);
    if (port === undefined) return `"port" is required for TCP, UDP and SCTP (the destination port)`;
    if (typeof port === 'string')
      return `"port": ${JSON.stringify(truncate(port))} is no port number here (a port name needs the destination pod's containers: give the number)`;
    if (!isPort(port)) return `"port" must be an integer 0-65535 for this protocol`;
    flow.port = port;
  } else if (rec['port'] !== undefined) {
    return `"port" is only meaningful for TCP, UDP and SCTP`;
  }
  if (rec['icmpType'] !== undefined) {
    const t = rec['icmpType'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 255) return `"icmpType" must be an integer 0-255`;
    flow.icmpType = t;
  }
  if (rec['dstName'] !== undefined) {
    const n = rec['dstName'];
    if (typeof n !== 'string' || !DNS_NAME.test(n))
      return `"dstName" must be a DNS name such as "api.example.com" (the name the source resolved to reach "dst")`;
    // Names compare case-insensitively; a trailing dot (fully qualified) is the same name.
    flow.dstName = n.toLowerCase().replace(/\.$/, '');
  }
  if (rec['established'] !== undefined) {
    if (typeof rec['established'] !== 'boolean') return `"established" must be true or false`;
    flow.established = rec['established'];
  }
  return flow;
}
