/** `netpol compile`: manifests compiled once into a saved image file (dataplane/saved-image.ts). */
import { compile } from '../compile/compile.js';
import { SavedImageError } from '../dataplane/image-envelope.js';
import { saveImage } from '../dataplane/saved-image.js';
import { parseCli, type IO } from './commands.js';
import { ENGINE_HELP, ENGINE_OPTIONS, evaluationOptions, EXIT, EXIT_HELP, INPUT_HELP, INPUT_OPTIONS, loadInput, UsageError } from './common.js';

/** ENGINE_HELP's evaluation flags, without --engine (what is compiled is always the image). */
const EVALUATION_HELP = `Evaluation (compiled into the image; recorded in it):\n${ENGINE_HELP.slice(ENGINE_HELP.indexOf('      --ipblock-excludes-pods'))}`;

export const COMPILE_HELP = `Usage: netpol compile -f <file|dir>... -o <file> [evaluation options]

Compiles the manifests once into a saved image: the decision tables every verdict reads,
with a header (format and image version, sizes, SHA-256) that the loader checks. Load it in
another process without the manifests and without compiling: --image on netpol verdict and
netpol replay, or loadImageFile() in the library. A saved image answers verdicts, not
explanations (explain and matrix need the manifests). Prints the file's size and SHA-256.

${INPUT_HELP}
  -o, --output <file>      the image file to write (written beside it, then renamed into place)
${EVALUATION_HELP}

${EXIT_HELP}`;

export function compileImage(args: string[], io: IO): number {
  const { values } = parseCli({ args, strict: true, options: { ...INPUT_OPTIONS, ...ENGINE_OPTIONS, output: { type: 'string', short: 'o' } } });
  if (values.help) return (io.out(COMPILE_HELP), EXIT.ok);
  if (values.engine !== undefined) throw new UsageError('compile always writes the compiled image: --engine does not apply (the image runs on either kernel)');
  const output = values.output;
  if (output === undefined || output === '') throw new UsageError('give the image file to write with -o <file>');
  const cluster = loadInput(values, io.err);
  if (!cluster) return EXIT.badInput;
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
