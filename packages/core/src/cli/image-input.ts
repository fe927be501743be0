/**
 * `--image <file>`: a saved image (netpol compile -o) as the input of the commands that only
 * need verdicts (verdict, replay), instead of manifests compiled on the spot; and the refusal
 * of the commands that need the policies themselves (explain, matrix).
 */
import { SavedImageError } from '../dataplane/image-envelope.js';
import { loadImageFile, type SavedImageDataplane } from '../dataplane/saved-image.js';
import { DEFAULT_MAX_IMAGE_FILE_BYTES } from '../dataplane/image-envelope.js';
import { ClusterIndex } from '../model/cluster-index.js';
import { ENGINE_OPTIONS, positiveInt, UsageError } from './common.js';

export const IMAGE_OPTIONS = {
  image: { type: 'string' },
  'max-image-bytes': { type: 'string' },
} as const;

export const IMAGE_HELP = `Saved image (instead of -f):
      --image <file>       a saved image (netpol compile -o): verdicts without the manifests
                           and without compiling; flows by address only (it holds no pod
                           names), evaluation options as it was compiled with
      --max-image-bytes <n>
                           refuse a saved image larger than n bytes (default ${DEFAULT_MAX_IMAGE_FILE_BYTES}, 1 GiB)`;

type Values = Record<string, string | boolean | string[] | undefined>;

/** The evaluation flags: they shape what is compiled, so a saved image has them already. */
const EVALUATION_FLAGS = Object.keys(ENGINE_OPTIONS).filter((k) => k !== 'engine');

/**
 * The saved image of `--image`, or undefined (every problem printed) when it is refused.
 * Usage errors: manifests given too, or an evaluation flag (the image was compiled with its own).
 */
export function loadImageInput(values: Values, stderr: (s: string) => void, native: 'auto' | 'off' | 'require' = 'auto'): SavedImageDataplane | undefined {
  const path = values['image'] as string;
  if (((values['file'] as string[] | undefined) ?? []).length > 0) throw new UsageError('give manifests (-f) or a saved image (--image), not both');
  const flags = EVALUATION_FLAGS.filter((k) => values[k] !== undefined);
  if (flags.length > 0)
    throw new UsageError(`--${flags[0]}: a saved image was compiled with its evaluation options (give them to netpol compile); here it takes none`);
  const maxBytes = positiveInt(values['max-image-bytes'] as string | undefined, 'max-image-bytes', DEFAULT_MAX_IMAGE_FILE_BYTES);
  try {
    return loadImageFile(path, { maxBytes, native });
  } catch (e) {
    if (!(e instanceof SavedImageError)) throw e;
    stderr(`error: ${e.code}: ${e.message}`);
    stderr('netpol: 1 error(s); nothing was evaluated');
    return undefined;
  }
}

/** `--image` on a command that needs the policies: a usage error saying why and what to give instead. */
export function refuseImage(values: Values, command: string, why: string): void {
  if (values['image'] === undefined) return;
  throw new UsageError(`${command} needs the policies (${why}): a saved image answers verdicts only; give the manifests with -f`);
}

/** An index without pods: flows name their ends by address (parseFlow then says a pod name is unknown). */
export const noPodNames = (): ClusterIndex => new ClusterIndex({ namespaces: [], pods: [], nodes: [], policies: [] });

/** A flow parse error, with why a pod name cannot resolve against a saved image. */
export const imageFlowError = (error: string): string => (/: no pod /.test(error) ? `${error} (a saved image holds no pod names: give addresses)` : error);

/** `--engine` with a saved image: compiled (default) or native (every flow through the addon); the reference needs the manifests. */
export function imageNativeMode(engine: string | undefined): 'auto' | 'require' {
  if (engine === undefined || engine === 'compiled') return 'auto';
  if (engine === 'native') return 'require';
  throw new UsageError(`--engine ${engine} needs the manifests: a saved image runs on the compiled (default) or native kernel`);
}
