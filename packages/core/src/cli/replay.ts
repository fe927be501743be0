/**
 * `netpol replay`: a pcap/pcapng capture through the packet path (parse, conntrack, compiled
 * dataplane), as if the policies had been enforced where it was captured: which packets
 * would have been dropped, and by which policy.
 */
import { readFileSync } from 'node:fs';
import { CompiledDataplane } from '../dataplane/compiled.js';
import { SavedImageError } from '../dataplane/image-envelope.js';
import { IMAGE_HELP, IMAGE_OPTIONS, loadImageInput } from './image-input.js';
import { decodeVerdict } from '../compile/verdict.js';
import { formatIP } from '../ip/address.js';
import { decidingPolicies } from '../model/decision.js';
import { isDenying, type Decision, type DirectionExplanation, type Explanation } from '../model/flow.js';

/** A decision that lets the flow through because a policy rule said so (any tier). */
const allowing = (d: Decision): boolean => d === 'allowed' || d === 'admin-allowed' || d === 'baseline-allowed';
import { MixedFamiliesError } from '../model/mixed-families.js';
import { hasPorts, protocolName, PROTOCOL_NUMBERS } from '../model/protocol.js';
import { codeError, codeInvalid, codeState, CODE, PacketFilter, type FilterDataplane, type FragmentPolicy, type PacketState } from '../packet/filter.js';
import { ServiceNat } from '../packet/service-nat.js';
import { portLabel, ServiceIndex } from '../model/services.js';
import { FRAGMENT, tcpFlagsText, type ParsedPacket } from '../packet/parse.js';
import { openCapture, timestampSeconds, timestampText } from '../pcap/capture.js';
import { linkPayload } from '../pcap/link.js';
import { FlowTable, type FoldedCounts } from './replay-flows.js';
import {
  checkStdin,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  evaluationOptions,
  EXIT,
  EXIT_HELP,
  INPUT_HELP,
  INPUT_OPTIONS,
  loadInput,
  outputFormat,
  UsageError,
} from './common.js';
import { parseCli, type IO } from './commands.js';

const DEFAULT_TOP_FLOWS = 100;
const MAX_TOP_FLOWS = 100_000;
/** The flow table's least capacity (bounded memory, a few MB of flow records). */
const MIN_FLOW_TABLE = 10_000;

export const REPLAY_HELP = `Usage: netpol replay <capture> -f <file|dir>... [-o jsonl|summary|json] [--services] [--fail-on-deny]
       netpol replay <capture> --image <file> [-o jsonl|summary|json] [--fail-on-deny]

Replays a pcap or pcapng capture (Ethernet with VLAN tags, raw IP, Linux cooked SLL/SLL2)
against the policies: each IP packet is parsed, looked up in a connection-tracking table and,
when it opens a connection, judged by the compiled dataplane. Replies to allowed
connections pass; a new connection in either direction is judged by policy; a TCP SYN-ACK,
RST or FIN of no tracked connection is invalid (dropped, as Linux conntrack marks it), never
judged as a connection in its own direction. Addresses are taken as the capture shows them
(capture where policy sees post-DNAT, pre-SNAT addresses), unless --services applies
kube-proxy's DNAT first.

Output:
  -o, --output <fmt>       jsonl (default): one JSON line per packet: index (frame number),
                           timestamp, src, dst, protocol, srcPort/dstPort or icmpType/icmpCode,
                           tcpFlags, allowed, state (new, established, reply, fragment, invalid),
                           egress/ingress decisions for packets judged by policy, and for a
                           denial its direction and the isolating policies; "error" for a
                           malformed packet, "invalid": "no-connection" for a TCP segment
                           that opens no connection and belongs to none, "skipped" for a
                           frame that is not IP
                           summary: packets and flows allowed/denied per policy and direction,
                           and the denied flows with most packets; json: the same summary as
                           one JSON object
      --top-flows <n>      denied flows the summary lists (default ${DEFAULT_TOP_FLOWS}, at most
                           ${MAX_TOP_FLOWS}); the others are counted. Flows are kept in a table of
                           max(${MIN_FLOW_TABLE}, 4n); when it fills, the half with fewest packets
                           is folded into counts (flow counts then become approximate)
      --fail-on-deny       exit 1 when a packet was denied (or malformed), 2 when the capture
                           could not be read to its end (invalid TCP segments do not count:
                           no policy decides them)
Packet path:
      --services           the capture was taken before kube-proxy's DNAT (on a client pod or
                           a node uplink): a connection to a Service address and port (ClusterIP,
                           external or load-balancer IP, a node address with a nodePort) is
                           judged once per backend of the Service (EndpointSlices in the input,
                           else its selector) at its target port, and allowed iff every backend
                           allows it (no backend: denied on ingress); replies from the Service
                           address match the connection. Lines and flows name the Service and
                           each backend's verdict
      --fragments <p>      non-first fragments: protocol-only (default: judged without ports,
                           so only port-less rules match), track (follow the first fragment),
                           allow
      --max-connections <n>  conntrack table size (default 65536; least recently used evicted)
      --strict-tcp         only a SYN opens a TCP connection, other segments without one are
                           invalid (Linux's nf_conntrack_tcp_loose=0; default: like Linux, an
                           allowed ACK or data segment without one picks it up mid-stream)
${INPUT_HELP}
${ENGINE_HELP.replace(/ {6}--engine <name>[^\n]*\n(?: {20,}[^\n]*\n)*/, '')}
${IMAGE_HELP}
                           (replayed on a saved image, denials name no policy or pod)

A capture that ends inside a record, or has a corrupt one, is replayed up to there, with a
warning that says how many records were replayed and how many bytes could not be read (with
--fail-on-deny: an error, exit 2).
${EXIT_HELP}`;

interface Tally {
  packets: number;
  flows: number;
}
interface AllowDeny {
  allowed: Tally;
  denied: Tally;
}
const tally = (): Tally => ({ packets: 0, flows: 0 });
const allowDeny = (): AllowDeny => ({ allowed: tally(), denied: tally() });

interface FlowInfo {
  readonly allowed: boolean;
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly srcPod: string | null;
  readonly dstPod: string | null;
  readonly egress: Decision;
  readonly ingress: Decision;
  /** Denials: the isolating policies of the denying side(s); allowed: the policies whose rules allowed it. */
  readonly policies: readonly string[];
  readonly egressPolicies: readonly string[];
  readonly ingressPolicies: readonly string[];
  /** replay --services: the Service port the flow went to and each backend's verdict. */
  readonly service?: ServiceInfo;
  packets: number;
}

/** A flow to a Service (replay --services): what it hit and what each backend decided. */
interface ServiceInfo {
  readonly name: string;
  /** Absent: the address is the Service's, but it has no such port (no backend took the connection). */
  readonly port?: string;
  readonly via: string;
  readonly backends: readonly { readonly backend: string; readonly address?: string; readonly port: number; readonly allowed: boolean }[];
}

export interface ReplaySummary {
  readonly capture: { readonly format: string; readonly bigEndian: boolean; readonly problem?: string; readonly unreadBytes?: number };
  readonly packets: {
    total: number;
    ip: number;
    skipped: number;
    allowed: number;
    denied: number;
    malformed: number;
    /** Well-formed TCP segments of no tracked connection that cannot open one (state invalid, not judged). */
    invalid: number;
    /** Malformed and invalid packets are both state `invalid`. */
    byState: Record<PacketState, number>;
  };
  readonly flows: { allowed: number; denied: number };
  readonly directions: { egress: AllowDeny; ingress: AllowDeny };
  readonly policies: Record<string, AllowDeny>;
  /** The denied flows with most packets (at most --top-flows), busiest first. */
  readonly deniedFlows: readonly FlowInfo[];
  /** The denied flows not listed, and their packets. */
  readonly otherDeniedFlows: FoldedCounts;
  /** The bounded flow table: flow counts are exact while `folded` is 0. */
  readonly flowTable: { readonly capacity: number; folded: number };
  readonly conntrack: { readonly connections: number; readonly inserted: number; readonly evicted: number; readonly expired: number; readonly refused: number };
}

/** The directional key of a flow judged by policy (what a connection attempt is). */
function flowKey(p: ParsedPacket): string {
  const base = `${p.family}|${p.src.join('.')}|${p.dst.join('.')}|${p.protocol}`;
  if (p.hasL4 === 0) return `${base}|-`;
  if (hasPorts(p.protocol)) return `${base}|${p.srcPort}|${p.dstPort}`;
  return `${base}|${p.icmpType}|${p.icmpId}`;
}

export function replay(args: string[], io: IO): number {
  const { values, positionals } = parseCli({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      ...ENGINE_OPTIONS,
      output: { type: 'string', short: 'o' },
      'fail-on-deny': { type: 'boolean' },
      fragments: { type: 'string' },
      'max-connections': { type: 'string' },
      'strict-tcp': { type: 'boolean' },
      'top-flows': { type: 'string' },
      services: { type: 'boolean' },
      ...IMAGE_OPTIONS,
    },
  });
  if (values.help) return (io.out(REPLAY_HELP), EXIT.ok);
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'give one capture file (pcap or pcapng; - for stdin)' : `one capture at a time (got ${positionals.length})`,
    );
  const output = outputFormat(values.output, ['jsonl', 'summary', 'json']);
  const fragments = (values.fragments ?? 'protocol-only') as FragmentPolicy;
  if (!['protocol-only', 'track', 'allow'].includes(fragments)) throw new UsageError(`--fragments must be protocol-only, track or allow`);
  let maxEntries = 65536;
  if (values['max-connections'] !== undefined) {
    maxEntries = Number(values['max-connections']);
    if (!/^[0-9]+$/.test(values['max-connections']) || maxEntries < 1 || maxEntries > 1 << 24)
      throw new UsageError(`--max-connections must be an integer 1..${1 << 24}`);
  }
  let topFlows = DEFAULT_TOP_FLOWS;
  if (values['top-flows'] !== undefined) {
    topFlows = Number(values['top-flows']);
    if (!/^[0-9]+$/.test(values['top-flows']) || topFlows < 1 || topFlows > MAX_TOP_FLOWS)
      throw new UsageError(`--top-flows must be an integer 1..${MAX_TOP_FLOWS}`);
  }
  if (values.engine !== undefined && values.engine !== 'compiled')
    throw new UsageError(`replay runs on the compiled dataplane (--engine ${values.engine} is not available here)`);
  const path = positionals[0]!;
  if (values.image !== undefined && values.services)
    throw new UsageError('--services needs the manifests (Services and their backends): a saved image holds neither');
  if (values.image === undefined && (values.file === undefined || values.file.length === 0))
    throw new UsageError('no input: give manifests with -f <file|dir>');
  checkStdin(values, path, 'the capture', 'give the capture as a file (netpol replay capture.pcap)');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    io.err(`netpol: cannot read ${path}: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  const opened = openCapture(bytes);
  if (!opened.ok) {
    io.err(`netpol: ${path}: ${opened.error}`);
    return EXIT.badInput;
  }
  const dp = values.image !== undefined ? loadImageInput(values, io.err, 'off') : replayDataplane(values, io);
  if (!dp) return EXIT.badInput;
  if (values.image !== undefined)
    io.err('netpol: warning: a saved image holds verdicts only: denials name no policy or pod (replay with -f manifests for them)');
  const filter = new PacketFilter<FilterDataplane>(dp, { fragmentPolicy: fragments, maxEntries, tcpLoose: values['strict-tcp'] !== true });
  const capture = opened.capture;

  const summary: ReplaySummary = {
    capture: { format: capture.format, bigEndian: capture.bigEndian },
    packets: {
      total: 0,
      ip: 0,
      skipped: 0,
      allowed: 0,
      denied: 0,
      malformed: 0,
      invalid: 0,
      byState: { new: 0, established: 0, reply: 0, fragment: 0, invalid: 0 },
    },
    flows: { allowed: 0, denied: 0 },
    directions: { egress: allowDeny(), ingress: allowDeny() },
    policies: {},
    deniedFlows: [],
    otherDeniedFlows: { flows: 0, packets: 0 },
    flowTable: { capacity: Math.max(MIN_FLOW_TABLE, 4 * topFlows), folded: 0 },
    conntrack: { connections: 0, inserted: 0, evicted: 0, expired: 0, refused: 0 },
  };
  const flows = new FlowTable<FlowInfo>(summary.flowTable.capacity);
  const policy = (name: string): AllowDeny => (summary.policies[name] ??= allowDeny());
  const jsonl = output === 'jsonl';

  for (const rec of capture.records()) {
    summary.packets.total++;
    const base = { index: rec.index, timestamp: timestampText(rec) };
    if (rec.error) {
      summary.packets.malformed++;
      summary.packets.byState.invalid++;
      if (jsonl) io.out(JSON.stringify({ ...base, allowed: false, state: 'invalid', error: rec.error }));
      continue;
    }
    const link = linkPayload(rec.linkType, rec.data);
    if (!link.ok) {
      if (link.reason === 'not-ip') {
        summary.packets.skipped++;
        if (jsonl) io.out(JSON.stringify({ ...base, skipped: link.detail }));
      } else {
        summary.packets.malformed++;
        summary.packets.byState.invalid++;
        if (jsonl) io.out(JSON.stringify({ ...base, allowed: false, state: 'invalid', error: `${link.reason}: ${link.detail}` }));
      }
      continue;
    }
    summary.packets.ip++;
    const ip = rec.data.subarray(link.offset);
    const code = filter.packetCode(ip, timestampSeconds(rec), rec.originalLength - link.offset);
    const p = filter.last;
    const state = codeState(code);
    summary.packets.byState[state]++;
    const error = codeError(code);
    if (error) {
      summary.packets.malformed++;
      if (jsonl) io.out(JSON.stringify({ ...base, allowed: false, state, error }));
      continue;
    }
    if (codeInvalid(code)) {
      // Dropped by conntrack before policy: no verdict, no flow.
      summary.packets.invalid++;
      if (jsonl) io.out(JSON.stringify(packetLine(base, p, false, state, code, undefined)));
      continue;
    }
    const allowed = (code & 1) === 1;
    if (allowed) summary.packets.allowed++;
    else summary.packets.denied++;
    let info: FlowInfo | undefined;
    if (code & CODE.judged) {
      const key = flowKey(p);
      info = flows.get(key);
      if (!info) {
        info = describeFlow(dp, p, code);
        if (dp instanceof ServiceNat) info = withService(dp, p, info, code);
        flows.add(key, info);
        if (info.allowed) summary.flows.allowed++;
        else summary.flows.denied++;
        for (const d of ['egress', 'ingress'] as const) {
          const decision = d === 'egress' ? info.egress : info.ingress;
          if (allowing(decision)) summary.directions[d].allowed.flows++;
          if (isDenying(decision)) summary.directions[d].denied.flows++;
        }
        for (const name of info.policies) policy(name)[info.allowed ? 'allowed' : 'denied'].flows++;
      }
      info.packets++;
      const v = decodeVerdict(code & 0x7f);
      for (const d of ['egress', 'ingress'] as const) {
        if (allowing(v[d])) summary.directions[d].allowed.packets++;
        if (isDenying(v[d])) summary.directions[d].denied.packets++;
      }
      for (const name of info.policies) policy(name)[info.allowed ? 'allowed' : 'denied'].packets++;
    }
    if (jsonl) io.out(JSON.stringify(packetLine(base, p, allowed, state, code, info)));
  }
  const ct = filter.conntrack.stats();
  Object.assign(summary.conntrack, { connections: ct.size, inserted: ct.inserted, evicted: ct.evicted, expired: ct.expired, refused: ct.refused });
  const top = flows.topDenied(topFlows);
  Object.assign(summary, { deniedFlows: top.listed, otherDeniedFlows: top.rest });
  summary.flowTable.folded = flows.folded.allowed.flows + flows.folded.denied.flows;
  const cut = capture.problem && `${path}: ${capture.problem}; ${cutText(summary.packets.total, capture.unreadBytes)}`;
  if (capture.problem) Object.assign(summary.capture, { problem: capture.problem, unreadBytes: capture.unreadBytes });
  // With --fail-on-deny an unread rest is a failure: packets in it may have been denied.
  if (cut && values['fail-on-deny']) {
    io.err(`netpol: ${cut} (--fail-on-deny: a capture not read to its end fails)`);
  } else if (cut) io.err(`netpol: warning: ${cut}`);
  if (output === 'json') io.out(JSON.stringify({ schemaVersion: 1, ...summary }, null, 2));
  if (output === 'summary') for (const line of summaryText(summary)) io.out(line);
  if (cut && values['fail-on-deny']) return EXIT.badInput;
  const dropped = summary.packets.denied + summary.packets.malformed;
  return dropped > 0 && values['fail-on-deny'] ? EXIT.denied : EXIT.ok;
}

/** What a cut capture leaves unknown: the records in its unread bytes cannot be counted. */
const cutText = (records: number, unreadBytes: number): string =>
  `${records} record(s) before it were replayed; the remaining ${unreadBytes} byte(s) could not be read (how many packets they hold is unknown)`;

/**
 * A flow to a Service (replay --services): the Service port and each backend's verdict, and the
 * decisions of the verdict byte (the explanation is one backend's, or the address's when no
 * backend took the connection).
 */
function withService(nat: ServiceNat, p: ParsedPacket, info: FlowInfo, code: number): FlowInfo {
  const port = p.hasL4 === 1 && hasPorts(p.protocol) ? p.dstPort : undefined;
  const hit = nat.services.at(p.dstIP(), p.protocol, port);
  if (!hit) return info;
  const { egress, ingress } = decodeVerdict(code & 0x7f);
  const name = `${hit.service.namespace}/${hit.service.name}`;
  const d = nat.decision(p.dstIP(), p.protocol, port);
  if (!d) return { ...info, egress, ingress, service: { name, via: hit.via, backends: [] } };
  const backends = d.backends.map(({ backend, verdict }) => {
    const v = backend.unjudgeable ? undefined : decodeVerdict(verdict);
    return {
      backend: backend.name,
      ...(backend.address && { address: formatIP(backend.address) }),
      port: backend.port,
      allowed: (verdict & 1) === 1,
      ...(v && { egress: v.egress, ingress: v.ingress }),
      ...(backend.unjudgeable && { error: backend.unjudgeable }),
    };
  });
  return { ...info, egress, ingress, service: { name, port: portLabel(d.target.port), via: d.target.via, backends } };
}

/** The manifests' compiled dataplane (behind the Service NAT with --services), or undefined when they do not load. */
function replayDataplane(values: Parameters<typeof evaluationOptions>[0], io: IO): FilterDataplane | undefined {
  const cluster = loadInput(values, io.err);
  if (!cluster) return undefined;
  const compiled = new CompiledDataplane(cluster, { ...evaluationOptions(values), native: 'off' });
  return values['services'] ? new ServiceNat(compiled, new ServiceIndex(cluster)) : compiled;
}

function describeFlow(dp: Pick<FilterDataplane, 'explain'>, p: ParsedPacket, code: number): FlowInfo {
  const allowed = (code & 1) === 1;
  let e: Explanation;
  try {
    e = dp.explain(p.toFlow());
  } catch (err) {
    // Only a flow explain cannot represent (IPv4-mapped unmapping that mixes families), or a
    // saved image (no provenance); any other error (explain disagreeing with the kernel) is a
    // bug: it propagates.
    if (!(err instanceof MixedFamiliesError) && !(err instanceof SavedImageError && err.code === 'no-provenance')) throw err;
    const v = decodeVerdict(code & 0x7f);
    return {
      allowed,
      src: formatIP(p.srcIP()),
      dst: formatIP(p.dstIP()),
      protocol: protocolName(p.protocol),
      srcPod: null,
      dstPod: null,
      egress: v.egress,
      ingress: v.ingress,
      policies: [],
      egressPolicies: [],
      ingressPolicies: [],
      packets: 0,
    };
  }
  // Allowed: the policies that allowed each side; denied: those that denied (a side that did not deny names none).
  const side = (d: DirectionExplanation): readonly string[] => (allowed || isDenying(d.decision) ? decidingPolicies(d) : []);
  const egressPolicies = side(e.egressDetail);
  const ingressPolicies = side(e.ingressDetail);
  const ports = p.hasL4 === 1 && hasPorts(p.protocol);
  return {
    allowed,
    src: formatIP(p.srcIP()),
    dst: formatIP(p.dstIP()),
    protocol: protocolName(p.protocol),
    ...(ports && { srcPort: p.srcPort, dstPort: p.dstPort }),
    ...(p.icmpType >= 0 && { icmpType: p.icmpType }),
    srcPod: e.egressDetail.endpoint,
    dstPod: e.ingressDetail.endpoint,
    egress: e.egress,
    ingress: e.ingress,
    policies: [...new Set([...egressPolicies, ...ingressPolicies])],
    egressPolicies,
    ingressPolicies,
    packets: 0,
  };
}

function packetLine(base: object, p: ParsedPacket, allowed: boolean, state: PacketState, code: number, info: FlowInfo | undefined): object {
  const ports = p.hasL4 === 1 && hasPorts(p.protocol);
  const line: Record<string, unknown> = {
    ...base,
    src: formatIP(p.srcIP()),
    dst: formatIP(p.dstIP()),
    protocol: protocolName(p.protocol),
    ...(ports && { srcPort: p.srcPort, dstPort: p.dstPort }),
    ...(p.protocol === PROTOCOL_NUMBERS.TCP && p.hasL4 === 1 && { tcpFlags: tcpFlagsText(p.tcpFlags) }),
    ...(p.icmpType >= 0 && { icmpType: p.icmpType, icmpCode: p.icmpCode }),
    ...(p.fragment !== FRAGMENT.none && { fragment: p.fragment === FRAGMENT.first ? 'first' : 'later' }),
    allowed,
    state,
  };
  const invalid = codeInvalid(code);
  if (invalid) line['invalid'] = invalid;
  if (code & CODE.judged) {
    const v = decodeVerdict(code & 0x7f);
    line['egress'] = v.egress;
    line['ingress'] = v.ingress;
    if (info?.service) line['service'] = info.service;
    if (!allowed && info) {
      line['direction'] = isDenying(v.egress) && isDenying(v.ingress) ? 'both' : isDenying(v.egress) ? 'egress' : 'ingress';
      line['policies'] = info.policies;
    }
  }
  return line;
}

const flowText = (f: FlowInfo): string => {
  const end = (ip: string, port: number | undefined, pod: string | null): string =>
    `${port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`}${pod ? ` (${pod})` : ''}`;
  const proto = f.icmpType !== undefined ? `${f.protocol} type ${f.icmpType}` : f.protocol;
  const service = f.service ? ` (Service ${f.service.name} ${f.service.port ?? 'without this port'})` : '';
  return `${end(f.src, f.srcPort, f.srcPod)} -> ${end(f.dst, f.dstPort, f.dstPod)}${service} ${proto}`;
};

export function summaryText(s: ReplaySummary): string[] {
  const p = s.packets;
  const lines = [
    `${s.capture.format}${s.capture.bigEndian ? ' (big-endian)' : ''}: ${p.total} frame(s), ${p.ip} IP packet(s), ${p.skipped} not IP`,
    `packets: ${p.allowed} allowed, ${p.denied} denied, ${p.malformed} malformed, ${p.invalid} invalid (TCP segments of no tracked connection)`,
    `  by state: ${Object.entries(p.byState)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `flows judged by policy: ${s.flows.allowed} allowed, ${s.flows.denied} denied`,
    'per direction (decisions by policy):',
  ];
  for (const d of ['egress', 'ingress'] as const) {
    const t = s.directions[d];
    lines.push(
      `  ${d.padEnd(7)} allowed ${t.allowed.packets} packet(s) / ${t.allowed.flows} flow(s); denied ${t.denied.packets} packet(s) / ${t.denied.flows} flow(s)`,
    );
  }
  const names = Object.keys(s.policies).sort();
  lines.push(names.length ? 'per policy (allowed: its rules allowed; denied: it isolated the denying side):' : 'per policy: none involved');
  for (const n of names) {
    const t = s.policies[n]!;
    lines.push(`  ${n}: allowed ${t.allowed.packets} packet(s) / ${t.allowed.flows} flow(s); denied ${t.denied.packets} packet(s) / ${t.denied.flows} flow(s)`);
  }
  const other = s.otherDeniedFlows;
  lines.push(s.deniedFlows.length ? `denied flows${other.flows ? ` (the ${s.deniedFlows.length} with most packets)` : ''}:` : 'denied flows: none');
  for (const f of s.deniedFlows) {
    const dir = isDenying(f.egress) && isDenying(f.ingress) ? 'egress and ingress' : isDenying(f.egress) ? 'egress' : 'ingress';
    const by = f.policies.join(', ') || (f.service?.backends.length === 0 ? 'kube-proxy (no backend)' : '(no policy)');
    lines.push(`  ${flowText(f)}: ${f.packets} packet(s), ${dir} denied by ${by}`);
  }
  if (other.flows) lines.push(`  and ${other.flows} more denied flow(s), ${other.packets} packet(s)`);
  if (s.flowTable.folded)
    lines.push(
      `flow counts are approximate: the flow table (${s.flowTable.capacity} flows) filled and ${s.flowTable.folded} flow(s) with fewest packets were folded into counts; a folded flow seen again counts again`,
    );
  lines.push(
    `conntrack: ${s.conntrack.connections} connection(s) at the end, ${s.conntrack.inserted} opened, ${s.conntrack.evicted} evicted, ${s.conntrack.expired} expired${s.conntrack.refused ? `, ${s.conntrack.refused} not tracked (hash chain full)` : ''}`,
  );
  if (s.capture.problem) lines.push(`capture cut: ${s.capture.problem}; ${cutText(p.total, s.capture.unreadBytes ?? 0)}`);
  return lines;
}
