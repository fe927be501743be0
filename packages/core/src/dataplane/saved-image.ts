/**
 * Compile once, load anywhere: a compiled image saved to a file (saveImage) and loaded in
 * another process (loadImageFile) as a dataplane that answers verdicts at once, without the
 * manifests and without compiling. The format and every check are in image-envelope.ts and
 * compile/SAVED-IMAGE.md.
 *
 * A loaded image answers verdicts, name classes included; it cannot explain them: explain
 * re-derives each decision from the policies (the compile-time provenance), which a saved
 * image does not carry. Its explain() throws SavedImageError('no-provenance').
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { CompileResult } from '../compile/compile.js';
import { ImageError } from '../compile/validate-image.js';
import { checkOptions } from '../model/check-options.js';
import type { Explanation, Flow } from '../model/flow.js';
import { ImageDataplane } from './image-dataplane.js';
import {
  DECODE_OPTIONS,
  decodeImage,
  encodeImage,
  ENVELOPE_BYTES,
  finishDecode,
  imageBuffer,
  maxBytesOption,
  parseEnvelope,
  SavedImageError,
  type DecodedImage,
  type DecodeImageOptions,
  type EncodeImageOptions,
  type SavedImageInfo,
} from './image-envelope.js';

/** loadImage's and loadImageFile's options. */
export interface LoadImageOptions extends DecodeImageOptions {
  /** As ImageDataplane's: 'auto' (default) native for large batches when the addon is loaded, 'off', or 'require'. */
  readonly native?: 'auto' | 'off' | 'require';
}

const LOAD_OPTIONS = { ...DECODE_OPTIONS, native: ['auto', 'off', 'require'] } as const;

/**
 * A dataplane over a saved image (loadImageFile, loadImage): verdicts, batches and name classes
 * exactly as the CompiledDataplane that saved it, on the JS or native kernel as ImageDataplane
 * chooses. `info` says what the file says about itself. No explain: see explain().
 */
export class SavedImageDataplane extends ImageDataplane {
  /** The envelope's and metadata's facts: sizes, SHA-256, the netpol version and options that made it. */
  readonly info: SavedImageInfo;
  private readonly names: (name: string | undefined) => number;

  /** From a decoded image (decodeImage); validates every invariant, as every ImageDataplane does. Throws SavedImageError. */
  constructor(decoded: DecodedImage, options: Pick<LoadImageOptions, 'native'> = {}) {
    try {
      super(decoded.image, { native: options.native ?? 'auto' });
    } catch (e) {
      throw loadFailure(e);
    }
    this.info = decoded.info;
    this.names = decoded.nameClass;
  }

  /** The class of `flow.dstName`, as the compiled dataplane that saved the image numbers it. */
  override nameClassOf(flow: Flow): number {
    return this.names(flow.dstName);
  }

  /** The name class of a destination name, for FlowBatch.nameClass (the same numbers as CompiledDataplane.nameClass). */
  nameClass(name: string): number {
    return this.names(name);
  }

  /**
   * Always throws SavedImageError('no-provenance'): an explanation names the policies, rules and
   * peers behind a decision, and a saved image holds only the decision tables. Compile the
   * manifests (CompiledDataplane) to explain a flow; its verdict is the same.
   */
  explain(_flow: Flow): Explanation {
    throw new SavedImageError(
      'no-provenance',
      'a loaded image answers verdicts, not explanations: explaining needs the policies it was compiled from (compile the manifests with CompiledDataplane, or netpol explain -f)',
    );
  }
}

/** The dataplane constructor's refusals as SavedImageErrors: a broken invariant, or the native kernel. */
function loadFailure(e: unknown): unknown {
  if (e instanceof ImageError) return new SavedImageError('invalid-image', e.message, { cause: e });
  if (e instanceof TypeError) return e; // an unknown option: the caller's mistake, as everywhere
  if (e instanceof Error) return new SavedImageError('native', e.message, { cause: e });
  return e;
}

/**
 * A dataplane from a saved image in memory (encodeImage's bytes): every check of decodeImage,
 * then every image invariant (JS and, when loaded, native). Throws SavedImageError.
 *
 * @example
 * const bytes = encodeImage(compile(cluster));
 * const dp = loadImage(bytes);
 * dp.verdict(flow); // as new CompiledDataplane(cluster).verdict(flow)
 */
export function loadImage(bytes: Uint8Array, options: LoadImageOptions = {}): SavedImageDataplane {
  checkOptions('loadImage options', options, LOAD_OPTIONS);
  const { native, ...decode } = options;
  return new SavedImageDataplane(decodeImage(bytes, decode), native === undefined ? {} : { native });
}

/**
 * Reads and checks a saved image file (readImageFile), then validates it as loadImage does:
 * a dataplane that answers verdicts without the manifests and without compiling. Throws
 * SavedImageError ('io' when the file cannot be read; each failed check its own code).
 *
 * @example
 * const dp = loadImageFile('cluster.npimg');
 * console.log(dp.info.sha256, dp.verdict(flow).allowed);
 */
export function loadImageFile(path: string, options: LoadImageOptions = {}): SavedImageDataplane {
  checkOptions('loadImageFile options', options, LOAD_OPTIONS);
  const { native, ...decode } = options;
  return new SavedImageDataplane(readImageFile(path, decode), native === undefined ? {} : { native });
}

/**
 * A saved image file, checked (envelope, size cap before anything is read, hash, metadata, image
 * header) and read straight into a fresh buffer (a SharedArrayBuffer with `shared`, for
 * VerdictPool.addImage). The image's invariants are checked by whoever reads it next (an
 * ImageDataplane, a pool worker), as for every image. Only regular files: the size is known
 * before reading. Throws SavedImageError.
 */
export function readImageFile(path: string, options: DecodeImageOptions = {}): DecodedImage {
  checkOptions('readImageFile options', options, DECODE_OPTIONS);
  const maxBytes = maxBytesOption(options.maxBytes);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SavedImageError('io', `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SavedImageError('io', `${path} is not a regular file`);
    const head = new Uint8Array(ENVELOPE_BYTES);
    const got = readFully(fd, head, 0, path);
    const env = parseEnvelope(head.subarray(0, got), stat.size, maxBytes, path);
    const meta = new Uint8Array(env.metaLength);
    const image = imageBuffer(env.imageLength, options.shared === true);
    if (
      readFully(fd, meta, ENVELOPE_BYTES, path) < meta.length ||
      readFully(fd, new Uint8Array(image), ENVELOPE_BYTES + env.metaLength, path) < env.imageLength
    )
      throw new SavedImageError('truncated', `${path}: the file got shorter while it was read`);
    // The file may have grown since fstat: anything past the declared end is refused too.
    if (readSync(fd, new Uint8Array(1), 0, 1, env.total) !== 0)
      throw new SavedImageError('trailing-bytes', `${path}: bytes after the ${env.total} its header declares`);
    return finishDecode(env, head, meta, image, path);
  } catch (e) {
    if (e instanceof SavedImageError) throw e;
    throw new SavedImageError('io', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** Reads into `into` from file position `at` until it is full or the file ends; the bytes read. */
function readFully(fd: number, into: Uint8Array, at: number, path: string): number {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      n = readSync(fd, into, done, into.length - done, at + done);
    } catch (e) {
      throw new SavedImageError('io', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Saves a compiled image (compile()'s result) to `path` in the saved-image format
 * (encodeImage), written beside it and renamed into place, so that a reader never sees half a
 * file. Returns what loadImageFile will report as `info`. Throws SavedImageError ('io' when the
 * file cannot be written).
 *
 * @example
 * const info = saveImage(compile(cluster), 'cluster.npimg');
 * console.log(info.totalBytes, info.sha256);
 */
export function saveImage(result: CompileResult, path: string, options: EncodeImageOptions = {}): SavedImageInfo {
  const bytes = encodeImage(result, options);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new SavedImageError('io', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeImage(bytes, { maxBytes: bytes.length }).info;
}
