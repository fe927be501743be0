/** `netpol compile`: manifests compiled once into a saved image file (dataplane/saved-image.ts). */
import { compile } from '../compile/compile.js';
import type { Cluster } from '../model/types.js';
import { SavedImageError } from '../dataplane/image-envelope.js';
import { saveImage } from '../dataplane/saved-image.js';
import { parseCli, type IO } from './commands.js';
import { ENGINE_HELP, ENGINE_OPTIONS, evaluationOptions, EXIT, EXIT_HELP_NO_VERDICTS, INPUT_HELP, INPUT_OPTIONS, loadInput, UsageError } from './common.js';

/** ENGINE_HELP's evaluation flags, without --engine (what is compiled is always the image). */
const EVALUATION_HELP = `Evaluation (compiled into the image; recorded in it):\n${ENGINE_HELP.slice(ENGINE_HELP.indexOf('      --ipblock-excludes-pods'))}`;

export const COMPILE_HELP = `Usage: netpol compile -f <file|dir>... -o <file> [evaluation options]

Compiles the manifests once into a saved image: the decision tables every verdict reads,
with a header (format and image version, sizes, SHA-256) that the loader checks. Load it in
another process without the manifests and without compiling: --image on netpol verdict and
netpol replay, or loadImageFile() in the library. A saved image answers verdicts, not
explanations (explain and matrix need the manifests). Prints the file's size and SHA-256.

A saved image holds no Services: input with a Service that a flow can reach by address (a
ClusterIP, external or load-balancer IP, or a nodePort beside Nodes) is refused, since a flow
to that address would be judged as going to the address itself instead of, after kube-proxy's
DNAT, to the Service's backends. --ignore-services compiles without them.

${INPUT_HELP}
  -o, --output <file>      the image file to write (written beside it, then renamed into place)
      --ignore-services    compile input with addressable Services anyway (flows to their
                           addresses are then judged as flows to those addresses, not DNATed)
${EVALUATION_HELP}

${EXIT_HELP_NO_VERDICTS}`;

export function compileImage(args: string[], io: IO): number {
  const { values } = parseCli({
    args,
    strict: true,
    options: { ...INPUT_OPTIONS, ...ENGINE_OPTIONS, output: { type: 'string', short: 'o' }, 'ignore-services': { type: 'boolean' } },
  });
  if (values.help) return (io.out(COMPILE_HELP), EXIT.ok);
  if (values.engine !== undefined) throw new UsageError('compile always writes the compiled image: --engine does not apply (the image runs on either kernel)');
  const output = values.output;
  if (output === undefined || output === '') throw new UsageError('give the image file to write with -o <file>');
  const cluster = loadInput(values, io.err);
  if (!cluster) return EXIT.badInput;
  const services = addressedServices(cluster);
  if (services.length > 0 && values['ignore-services'] !== true) {
    const named = services.slice(0, 3).join(', ') + (services.length > 3 ? ` and ${services.length - 3} more` : '');
    io.err(
      `error: the input holds Services reachable by address (${named}): a saved image holds no Services, so a flow to a ClusterIP, external or load-balancer IP or nodePort would be judged as a flow to that address, not to the Service's backends after kube-proxy's DNAT; judge such flows with -f (verdict, replay --services), or give --ignore-services to compile without them`,
    );
    return EXIT.badInput;
  }
  const options = evaluationOptions(values);
  try {
    const info = saveImage(compile(cluster, options), output, { options });
    io.out(`${output}: ${info.totalBytes} bytes (image ${info.imageBytes}, version ${info.imageVersion}), sha256 ${info.sha256}`);
  } catch (e) {
    if (!(e instanceof SavedImageError)) throw e;
    io.err(`error: ${e.code}: ${e.message}`);
    return EXIT.badInput;
  }
  return EXIT.ok;
}

/**
 * The Services a flow by address can reach (`namespace/name`): a ClusterIP, an external or
 * load-balancer IP, or a nodePort when the input has Nodes whose addresses carry it. Manifests
 * before deployment (no addresses) and headless or ExternalName Services have none.
 */
function addressedServices(cluster: Cluster): string[] {
  const nodes = cluster.nodes.length > 0;
  return (cluster.services ?? [])
    .filter((s) => s.clusterIPs.length > 0 || s.externalIPs.length > 0 || (nodes && s.ports.some((p) => p.nodePort !== undefined)))
    .map((s) => `${s.namespace}/${s.name}`);
}
