/**
 * The saved-image format (compile/SAVED-IMAGE.md): a 64-byte envelope header, JSON metadata,
 * then the image bytes exactly as compile() made them. Encoding and decoding here work on
 * bytes in memory; saved-image.ts reads and writes files with the same checks.
 *
 * The loader trusts nothing: the envelope is checked field by field, the SHA-256 over
 * header, metadata and image before anything in them is used, the metadata's shape strictly,
 * and the image's own invariants by the kernels (validateImage and the addon's validate())
 * before the first verdict. The hash proves the bytes are the ones written, not who wrote
 * them: a file is as trustworthy as the place it came from.
 */
import { createHash } from 'node:crypto';
import type { CompileResult } from '../compile/compile.js';
import { HEADER, HEADER_WORDS, imageFlags, IMAGE_FLAGS, VERSION } from '../compile/layout.js';
import { NameClasses, type NamePeer } from '../compile/name-classes.js';
import { ImageError, validateImage, readImage } from '../compile/validate-image.js';
import { checkOptions } from '../model/check-options.js';
import { DEFAULT_OPTIONS, EVALUATION_OPTIONS, type EvaluationOptions, type ResolvedOptions } from '../model/options.js';
import { LIMITS } from '../model/limits.js';
import { ignoredObjectKey } from '../model/types.js';
import { netpolVersion } from '../package-version.js';

/** The first 8 bytes of a saved image: `\x89NPIM\r\n\x1a` (a high-bit byte and CR LF, as PNG's, so a text-mode transfer that mangles them is caught by the first check). */
export const SAVED_IMAGE_MAGIC: Uint8Array = Uint8Array.of(0x89, 0x4e, 0x50, 0x49, 0x4d, 0x0d, 0x0a, 0x1a);
/** The envelope's own version (header bytes 8-11); a reader refuses any other. */
export const ENVELOPE_VERSION = 1;
/** Bytes of the envelope header; the metadata follows, padded so that the image starts at a multiple of this. */
export const ENVELOPE_BYTES = 64;
/** The header bytes the hash covers (everything before the hash itself). */
const HASHED_HEADER_BYTES = 32;
/** Default cap on a saved image's total size: well above an image of 100k pods and 20k policies (about 160 MB today). */
export const DEFAULT_MAX_IMAGE_FILE_BYTES = 1 << 30;
/** Cap on the metadata: it holds options, a version and the domainNames table; 16 MiB is far more than 65,536 name classes need. */
const MAX_METADATA_BYTES = 16 << 20;
/** Longest version string kept from a file (it is only shown). */
const MAX_VERSION_CHARS = 64;

/** What went wrong loading (or saving) a saved image; SavedImageError.code. */
export type SavedImageErrorCode =
  /** The file could not be read or written (missing, unreadable, not a regular file). */
  | 'io'
  /** Larger than the cap (the file, or the sizes its header declares). */
  | 'too-large'
  /** Shorter than its header says. */
  | 'truncated'
  /** Bytes after the image its header declares. */
  | 'trailing-bytes'
  /** Not a netpol saved image (the first 8 bytes). */
  | 'magic'
  /** A saved-image envelope of another version. */
  | 'envelope-version'
  /** An image of another version than this netpol reads: compile again with this version. */
  | 'image-version'
  /** An envelope field out of range (reserved bytes, sizes, alignment). */
  | 'envelope'
  /** The SHA-256 over header, metadata and image does not match: the file was changed or damaged. */
  | 'hash-mismatch'
  /** The metadata is not the JSON object this version writes. */
  | 'metadata'
  /** The domainNames table does not fit the image's name classes. */
  | 'name-classes'
  /** The image breaks one of its invariants (ImageError as `cause`). */
  | 'invalid-image'
  /** The native kernel was required but is not loaded, or it refused the image. */
  | 'native'
  /** An explanation was asked of a loaded image: it has no provenance (the cluster's objects). */
  | 'no-provenance';

/**
 * A saved image refused, or a request a loaded image cannot answer: `code` says which check
 * failed (SavedImageErrorCode), the message says where and what to do. ImageError (a broken
 * image invariant) and the native kernel's refusal come as `cause`.
 */
export class SavedImageError extends Error {
  constructor(
    readonly code: SavedImageErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`netpol saved image: ${message}`, options);
    this.name = 'SavedImageError';
  }
}

/** What a saved image's envelope and metadata say about it (SavedImageDataplane.info). */
export interface SavedImageInfo {
  readonly envelopeVersion: number;
  /** The image format version (compile/IMAGE.md). */
  readonly imageVersion: number;
  /** Bytes of the image alone. */
  readonly imageBytes: number;
  /** Bytes of the whole saved image (envelope, metadata, image). */
  readonly totalBytes: number;
  /** SHA-256 over the envelope header's first 32 bytes, the metadata and the image, as 64 hex digits. */
  readonly sha256: string;
  /** The netpol version that wrote it. */
  readonly netpolVersion: string;
  /** The evaluation options it was compiled with, when the writer recorded them. */
  readonly options?: ResolvedOptions;
  /** Destination-name classes of the image (1 without `domainNames` peers). */
  readonly nameClasses: number;
  /**
   * Policies of other APIs the cluster held and the compile ignored by explicit choice
   * (`Kind namespace/name`): the image's verdicts do not account for them. Absent: none.
   */
  readonly ignoring?: readonly string[];
}

/** encodeImage's and saveImage's options. */
export interface EncodeImageOptions {
  /**
   * The evaluation options the image was compiled with, recorded for whoever loads it (shown by
   * the CLI; never applied: the image already holds their effect). Checked against the header's
   * option flags.
   */
  readonly options?: EvaluationOptions;
}

/** decodeImage's options. */
export interface DecodeImageOptions {
  /** Put the image in a SharedArrayBuffer (for VerdictPool.addImage). */
  readonly shared?: boolean;
  /** Refuse a saved image larger than this many bytes (default DEFAULT_MAX_IMAGE_FILE_BYTES, 1 GiB). */
  readonly maxBytes?: number;
}

/** A decoded saved image: the image bytes (envelope, hash, metadata and header checked), what it says about itself, its name classes. */
export interface DecodedImage {
  readonly image: ArrayBuffer | SharedArrayBuffer;
  readonly info: SavedImageInfo;
  /** The class of a destination name (FlowBatch.nameClass; 0 for no name), as the compiled dataplane's `nameClass` numbers it. */
  nameClass(name: string | undefined): number;
}

/** The metadata as written (JSON). New keys come with a new envelope version: a reader refuses keys it does not know. */
interface Metadata {
  readonly netpol: string;
  readonly options?: ResolvedOptions;
  readonly ignoring?: readonly string[];
  readonly names: { readonly peers: readonly NamePeer[]; readonly classes: readonly (readonly number[])[] };
}

const OPTION_KEYS = Object.keys(EVALUATION_OPTIONS) as (keyof ResolvedOptions)[];

/**
 * A compiled image in the saved-image format: envelope header, metadata (the netpol version,
 * the options if given, the domainNames table name classes are numbered from), then the image.
 * The same result always gives the same bytes. Throws SavedImageError ('invalid-image') for an
 * image that breaks an invariant: nothing is written that a loader would refuse.
 */
export function encodeImage(result: CompileResult, options: EncodeImageOptions = {}): Uint8Array {
  checkOptions('encodeImage options', options, { options: 'object' });
  const image = result.image;
  let header: Uint32Array;
  try {
    header = validateImage(image).header;
  } catch (e) {
    if (e instanceof ImageError) throw new SavedImageError('invalid-image', `the image to save is not valid: ${e.message}`, { cause: e });
    throw e;
  }
  let recorded: ResolvedOptions | undefined;
  if (options.options !== undefined) {
    checkOptions('encodeImage options.options', options.options, EVALUATION_OPTIONS);
    recorded = { ...DEFAULT_OPTIONS, ...options.options };
    const mismatch = flagMismatch(recorded, header[HEADER.flags]!);
    if (mismatch)
      throw new TypeError(`encodeImage: options.options.${mismatch} is not the option the image was compiled with (its header flags say otherwise)`);
  }
  const peers = result.provenance.tiers.namePeers;
  const classes = new NameClasses(peers).members;
  if (classes.length !== header[HEADER.nameClassCount])
    throw new SavedImageError('name-classes', `the image has ${header[HEADER.nameClassCount]} name classes, its domainNames peers make ${classes.length}`);
  const ignoring = (result.provenance.index.cluster.ignoredObjects ?? []).map(ignoredObjectKey);
  const metadata: Metadata = {
    netpol: netpolVersion(),
    ...(recorded && { options: recorded }),
    ...(ignoring.length > 0 && { ignoring }),
    names: { peers, classes },
  };
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const metaLength = Math.ceil((ENVELOPE_BYTES + json.length) / ENVELOPE_BYTES) * ENVELOPE_BYTES - ENVELOPE_BYTES;
  if (metaLength > MAX_METADATA_BYTES) throw new SavedImageError('too-large', `the metadata needs ${metaLength} bytes, at most ${MAX_METADATA_BYTES}`);
  const out = new Uint8Array(ENVELOPE_BYTES + metaLength + image.byteLength);
  out.set(SAVED_IMAGE_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, ENVELOPE_VERSION, true);
  view.setUint32(12, header[HEADER.version]!, true);
  view.setUint32(16, metaLength, true);
  view.setUint32(20, image.byteLength, true);
  // Bytes 24-31 reserved (0). The metadata is padded with spaces: JSON whitespace.
  out.fill(0x20, ENVELOPE_BYTES, ENVELOPE_BYTES + metaLength);
  out.set(json, ENVELOPE_BYTES);
  out.set(new Uint8Array(image), ENVELOPE_BYTES + metaLength);
  const meta = out.subarray(ENVELOPE_BYTES, ENVELOPE_BYTES + metaLength);
  out.set(digest(out.subarray(0, HASHED_HEADER_BYTES), meta, out.subarray(ENVELOPE_BYTES + metaLength)), HASHED_HEADER_BYTES);
  return out;
}

/** The first option whose header flag disagrees with `o`, if any. */
function flagMismatch(o: ResolvedOptions, flags: number): keyof typeof IMAGE_FLAGS | undefined {
  const want = imageFlags(o);
  return (Object.keys(IMAGE_FLAGS) as (keyof typeof IMAGE_FLAGS)[]).find((k) => (want & IMAGE_FLAGS[k]) !== (flags & IMAGE_FLAGS[k]));
}

function digest(head: Uint8Array, meta: Uint8Array, image: Uint8Array): Buffer {
  return createHash('sha256').update(head).update(meta).update(image).digest();
}

/** The envelope header's fields, checked against each other and the total size (EnvelopeHeader.total). */
export interface EnvelopeHeader {
  readonly imageVersion: number;
  readonly metaLength: number;
  readonly imageLength: number;
  readonly total: number;
  readonly hash: Uint8Array;
}

/**
 * Checks the envelope header (`head`: the first min(64, size) bytes) of a saved image of
 * `size` bytes: magic, envelope and image version, reserved bytes, sizes, cap. Throws
 * SavedImageError; `where` names the source in messages.
 */
export function parseEnvelope(head: Uint8Array, size: number, maxBytes: number, where: string): EnvelopeHeader {
  if (size > maxBytes) throw new SavedImageError('too-large', `${where}: ${size} bytes, at most ${maxBytes} (raise the limit to load it)`);
  const magic = SAVED_IMAGE_MAGIC.subarray(0, Math.min(size, SAVED_IMAGE_MAGIC.length));
  if (magic.some((b, i) => head[i] !== b))
    throw new SavedImageError('magic', `${where}: not a netpol saved image (it does not start with \\x89NPIM\\r\\n\\x1a)`);
  if (size < ENVELOPE_BYTES) throw new SavedImageError('truncated', `${where}: ${size} bytes, shorter than the ${ENVELOPE_BYTES}-byte header`);
  const view = new DataView(head.buffer, head.byteOffset, ENVELOPE_BYTES);
  const u32 = (at: number): number => view.getUint32(at, true);
  if (u32(8) !== ENVELOPE_VERSION)
    throw new SavedImageError('envelope-version', `${where}: envelope version ${u32(8)}, this netpol (${netpolVersion()}) reads version ${ENVELOPE_VERSION}`);
  if (u32(12) !== VERSION)
    throw new SavedImageError(
      'image-version',
      `${where}: image version ${u32(12)}, this netpol (${netpolVersion()}) reads version ${VERSION}: compile the manifests again with this version`,
    );
  const metaLength = u32(16);
  const imageLength = u32(20);
  if (u32(24) !== 0 || u32(28) !== 0) throw new SavedImageError('envelope', `${where}: reserved header bytes 24-31 are not zero`);
  if (metaLength % ENVELOPE_BYTES !== 0 || metaLength > MAX_METADATA_BYTES)
    throw new SavedImageError('envelope', `${where}: metadata length ${metaLength} (a multiple of ${ENVELOPE_BYTES}, at most ${MAX_METADATA_BYTES})`);
  if (imageLength < HEADER_WORDS * 4 || imageLength % 4 !== 0)
    throw new SavedImageError('envelope', `${where}: image length ${imageLength} (a multiple of 4, at least the ${HEADER_WORDS * 4}-byte image header)`);
  const total = ENVELOPE_BYTES + metaLength + imageLength;
  if (total > maxBytes) throw new SavedImageError('too-large', `${where}: its header declares ${total} bytes, at most ${maxBytes}`);
  if (size < total) throw new SavedImageError('truncated', `${where}: ${size} bytes, its header declares ${total}: the file is cut short`);
  if (size > total) throw new SavedImageError('trailing-bytes', `${where}: ${size - total} byte(s) after the ${total} its header declares`);
  return { imageVersion: u32(12), metaLength, imageLength, total, hash: head.slice(HASHED_HEADER_BYTES, ENVELOPE_BYTES) };
}

/** maxBytes as given (a positive safe integer), or the default. */
export function maxBytesOption(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return DEFAULT_MAX_IMAGE_FILE_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  return maxBytes;
}

/** A fresh buffer for the image: owned by the caller, 8-byte aligned (so u32 views work), shared when asked. */
export const imageBuffer = (length: number, shared: boolean): ArrayBuffer | SharedArrayBuffer =>
  shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length);

/**
 * The checks after the bytes are in: the hash, the metadata, the image header (readImage:
 * constant time; the sections' values are the kernel's to check before its first verdict),
 * the name classes against the header.
 */
export function finishDecode(env: EnvelopeHeader, head: Uint8Array, meta: Uint8Array, image: ArrayBuffer | SharedArrayBuffer, where: string): DecodedImage {
  const hash = digest(head.subarray(0, HASHED_HEADER_BYTES), meta, new Uint8Array(image));
  if (!hash.equals(env.hash))
    throw new SavedImageError(
      'hash-mismatch',
      `${where}: the SHA-256 does not match (file ${hex(env.hash)}, content ${hex(hash)}): the file was changed or damaged`,
    );
  const metadata = parseMetadata(meta, where);
  let header: Uint32Array;
  try {
    header = readImage(image).header;
  } catch (e) {
    if (e instanceof ImageError) throw new SavedImageError('invalid-image', `${where}: ${e.message}`, { cause: e });
    throw e;
  }
  if (metadata.options) {
    const mismatch = flagMismatch(metadata.options, header[HEADER.flags]!);
    if (mismatch) throw new SavedImageError('metadata', `${where}: options.${mismatch} disagrees with the image's header flags`);
  }
  const names = metadata.names;
  if (names.classes.length !== header[HEADER.nameClassCount])
    throw new SavedImageError('name-classes', `${where}: ${names.classes.length} name classes listed, the image has ${header[HEADER.nameClassCount]}`);
  return {
    image,
    info: {
      envelopeVersion: ENVELOPE_VERSION,
      imageVersion: env.imageVersion,
      imageBytes: env.imageLength,
      totalBytes: env.total,
      sha256: hex(hash),
      netpolVersion: metadata.netpol,
      ...(metadata.options && { options: metadata.options }),
      nameClasses: names.classes.length,
      ...(metadata.ignoring && { ignoring: metadata.ignoring }),
    },
    nameClass: nameClassOf(new NameClasses(names.peers, names.classes)),
  };
}

/** A name-class function over the table alone (a closure made here keeps nothing else of the decode alive). */
const nameClassOf =
  (names: NameClasses) =>
  (name: string | undefined): number =>
    name === undefined ? 0 : names.classOf(name);

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Decodes a saved image from bytes in memory (a file's contents, a network message): every
 * envelope check, the hash, the metadata, the image header. The image is copied into a fresh
 * buffer (a SharedArrayBuffer with `shared`). Throws SavedImageError. Most callers want
 * loadImage() or loadImageFile(), which also validate every invariant and return a dataplane.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  checkOptions('decodeImage options', options, DECODE_OPTIONS);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeImage: bytes must be a Uint8Array');
  const where = 'bytes';
  const env = parseEnvelope(bytes.subarray(0, ENVELOPE_BYTES), bytes.length, maxBytesOption(options.maxBytes), where);
  const image = imageBuffer(env.imageLength, options.shared === true);
  new Uint8Array(image).set(bytes.subarray(ENVELOPE_BYTES + env.metaLength, env.total));
  return finishDecode(env, bytes, bytes.subarray(ENVELOPE_BYTES, ENVELOPE_BYTES + env.metaLength), image, where);
}

/** decodeImage's option keys and types. */
export const DECODE_OPTIONS = { shared: 'boolean', maxBytes: 'number' } as const;

/** The metadata, checked key by key: anything but what this version writes is refused. */
function parseMetadata(bytes: Uint8Array, where: string): Metadata {
  const bad = (what: string): never => {
    throw new SavedImageError('metadata', `${where}: metadata ${what}`);
  };
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return bad(`is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(m)) return bad('is not a JSON object');
  const extra = Object.keys(m).filter((k) => !['netpol', 'options', 'ignoring', 'names'].includes(k));
  if (extra.length > 0) bad(`has keys this version does not know: ${extra.slice(0, 5).join(', ')}`);
  if (typeof m['netpol'] !== 'string' || m['netpol'].length > MAX_VERSION_CHARS)
    bad(`"netpol" must be a version string of at most ${MAX_VERSION_CHARS} characters`);
  const o = m['options'];
  if (o !== undefined) {
    if (!isObject(o) || Object.keys(o).length !== OPTION_KEYS.length || !OPTION_KEYS.every((k) => typeof o[k] === 'boolean'))
      bad(`"options" must have exactly the boolean keys ${OPTION_KEYS.join(', ')}`);
  }
  const ignoring = m['ignoring'];
  if (ignoring !== undefined && (!Array.isArray(ignoring) || ignoring.length === 0 || !ignoring.every((s) => typeof s === 'string' && s.length <= 1024)))
    bad('"ignoring" must be a non-empty list of object names');
  const n = m['names'];
  if (!isObject(n) || Object.keys(n).length !== 2 || !Array.isArray(n['peers']) || !Array.isArray(n['classes']))
    return bad('"names" must be { peers: [...], classes: [...] }');
  const peers = n['peers'] as unknown[];
  const ids = new Set<number>();
  for (const [i, p] of peers.entries()) {
    if (
      !isObject(p) ||
      Object.keys(p).length !== 2 ||
      !Number.isSafeInteger(p['id']) ||
      (p['id'] as number) < 0 ||
      ids.has(p['id'] as number) ||
      !Array.isArray(p['names']) ||
      !(p['names'] as unknown[]).every((s) => typeof s === 'string' && s.length > 0 && s.length <= 255)
    )
      bad(`names.peers[${i}] must be { id: a distinct integer, names: [domain names] }`);
    ids.add((p as { id: number }).id);
  }
  const classes = n['classes'] as unknown[];
  if (classes.length < 1 || classes.length > LIMITS.nameClasses) bad(`names.classes must list 1 to ${LIMITS.nameClasses} classes`);
  const seen = new Set<string>();
  for (const [c, set] of classes.entries()) {
    const ok =
      Array.isArray(set) &&
      set.every((id, j) => Number.isSafeInteger(id) && ids.has(id as number) && (j === 0 || (id as number) > (set[j - 1] as number))) &&
      (c === 0) === (set.length === 0) &&
      !seen.has(set.join(','));
    if (!ok) bad(`names.classes[${c}] must be distinct ascending peer ids (class 0 alone empty)`);
    seen.add((set as number[]).join(','));
  }
  return m as unknown as Metadata;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
