/** `netpol` subcommand dispatch; main.ts binds it to the process. */
import { netpolVersion } from '../package-version.js';
import { connlist } from './connlist.js';
import { compileImage } from './compile-image.js';
import { demo } from './demo.js';
import { diff } from './diff.js';
import { fuzz } from './fuzz.js';
import { lint } from './lint.js';
import { replay } from './replay.js';
import { explain, matrix, validate, verdict, type IO } from './commands.js';
import { EXIT, UsageError } from './common.js';
import { CapacityError } from '../model/limits.js';

const HELP = `Usage: netpol <command> [options]

Kubernetes NetworkPolicy, evaluated offline: load Namespaces, Pods, Nodes, NetworkPolicies
and the cluster-scoped policies, workloads (Deployments, StatefulSets, Jobs... with or without
pods), Services and EndpointSlices (YAML or JSON, as kubectl prints them or as helm template
writes them), validate them as the API server would, and answer whether flows are allowed,
and why.

Commands:
  validate   check manifests; list every problem with file, line and field path
  lint       find what policies probably get wrong (selects nothing, open ports...), with fixes
  verdict    JSON Lines flows in, one JSON verdict per flow out
  explain    why a flow is allowed or denied, per direction and rule
  matrix     pod-to-pod (or workload-to-workload) connectivity grid per port
  compile    compile once into a saved image file (verdict and replay load it with --image)
  connlist   every allowed connection between workloads (netpol-analyzer's list)
  diff       what changes in allowed connectivity between two manifest sets
  fuzz       check an engine against the reference evaluator on random flows
  replay     run a pcap/pcapng capture through conntrack and the policies
  demo       run the built-in example stories

Run 'netpol <command> --help' for a command's options; 'netpol --version' (-V) prints the version.
Exit codes: 0 ok, 1 something was denied (with --fail-on-deny) or lint found something at
--fail-on, 2 bad input or usage.`;

/** The version of the installed @netpol/core (package-version.ts), printed bare as npm and pnpm print theirs, for scripts to compare. */
export function version(): string {
  return netpolVersion();
}

export async function run(argv: string[], io: IO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return validate(rest, io);
      case 'lint':
        return lint(rest, io);
      case 'verdict':
        return await verdict(rest, io);
      case 'explain':
        return await explain(rest, io);
      case 'matrix':
        return matrix(rest, io);
      case 'connlist':
        return connlist(rest, io);
      case 'diff':
        return diff(rest, io);
      case 'compile':
        return compileImage(rest, io);
      case 'fuzz':
        return fuzz(rest, io);
      case 'replay':
        return replay(rest, io);
      case 'demo':
        return demo(rest, io);
      case '--version':
      case '-V':
      case 'version':
        io.out(version());
        return EXIT.ok;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(HELP);
        return command === undefined ? EXIT.badInput : EXIT.ok;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`netpol: ${e.message}\nRun 'netpol ${command && !command.startsWith('-') ? command + ' ' : ''}--help' for usage.`);
      return EXIT.badInput;
    }
    // Valid objects the image cannot hold (the loader counts what it can; the compiler finds the rest).
    if (e instanceof CapacityError) {
      io.err(`error: capacity-exceeded: ${e.message}\nnetpol: 1 error(s); nothing was evaluated`);
      return EXIT.badInput;
    }
    throw e;
  }
}
