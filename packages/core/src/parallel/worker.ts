/**
 * A VerdictPool worker: keeps a Kernel (and a native handle when the addon is loaded) per
 * registered image, and answers `run` requests by reading flows from, and writing verdict
 * bytes to, a shared arena. Built once per image, so a run costs one message each way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kernel } from '../kernels/js-kernel.js';
import { nativeBinding, type NativeBinding } from '../native/loader.js';
import { READY_SEQ, type ArenaLayout, type Ready, type Reply, type Request, type WorkerConfig } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('parallel/worker.js runs only as a worker thread (started by VerdictPool)');
const config = workerData as WorkerConfig;
// nativeBinding() respects NETPOL_NATIVE=0: the worker inherits the pool's environment.
const binding: NativeBinding | undefined = config.native === 'off' ? undefined : nativeBinding();

interface Loaded {
  readonly kernel: Kernel;
  readonly native: object | undefined;
}
const images = new Map<number, Loaded>();
const arenas = new Map<number, SharedArrayBuffer>();

function add(id: number, image: SharedArrayBuffer, mutable: boolean): void {
  const kernel = new Kernel(image, { mutable }); // validates: a corrupt image throws ImageError, the pool rejects
  // An image the addon refuses is refused here too (the error goes back to addImage), never
  // served by the JS kernel instead: as ImageDataplane.
  const native = binding?.loadImage(new Uint8Array(image), !mutable);
  images.set(id, { kernel, native });
}

/** Forgets an image; a private native copy is freed now, not when the loop next turns. */
function remove(id: number): void {
  const native = images.get(id)?.native;
  images.delete(id);
  if (native) binding?.releaseImage(native);
}

/**
 * Claims grains of the batch until none is left: a worker that starts late or gets
 * preempted does less, instead of holding the whole batch up with a fixed share.
 */
function run(m: Extract<Request, { type: 'run' }>): void {
  if (m.buffer) arenas.set(m.arena, m.buffer); // first: the pool counts it as delivered
  const img = images.get(m.image);
  if (!img) throw new Error(`image ${m.image} is not registered in this worker`);
  const buf = arenas.get(m.arena);
  if (!buf) throw new Error(`arena ${m.arena} was never sent to this worker`);
  const claim = new Int32Array(buf, m.layout.claim, 1);
  const data = m.flows ?? buf;
  for (let start = Atomics.add(claim, 0, m.grain); start < m.count; start = Atomics.add(claim, 0, m.grain)) {
    chunk(img, data, m.layout, start, Math.min(m.count, start + m.grain));
  }
}

/** Flows [start, end) of the arena's batch, verdicts into the arena's output area. */
function chunk(img: Loaded, buf: SharedArrayBuffer, L: ArenaLayout, start: number, end: number): void {
  const n = end - start;
  const w = L.words;
  const src = new Uint32Array(buf, L.src + start * w * 4, n * w);
  const dst = new Uint32Array(buf, L.dst + start * w * 4, n * w);
  const protocol = new Uint8Array(buf, L.protocol + start, n);
  const portArr = new Uint16Array(buf, L.port + start * 2, n);
  const out = new Uint8Array(buf, L.out + start, n);
  const family = L.family === undefined ? undefined : new Uint8Array(buf, L.family + start, n);
  const flags = L.flags === undefined ? undefined : new Uint8Array(buf, L.flags + start, n);
  const nameClass = L.nameClass === undefined ? undefined : new Uint16Array(buf, L.nameClass + start * 2, n);
  if (img.native && binding) binding.verdictBatch(img.native, src, dst, protocol, portArr, out, n, family ?? null, flags ?? null, nameClass ?? null);
  else
    img.kernel.verdictBatch(
      { count: n, src, dst, protocol, port: portArr, ...(family && { family }), ...(flags && { flags }), ...(nameClass && { nameClass }) },
      out,
    );
}

port.on('message', (m: Request) => {
  let reply: Reply;
  try {
    if (m.type === 'run') run(m);
    else if (m.type === 'add') add(m.id, m.image, m.mutable);
    else remove(m.id);
    reply = { seq: m.seq, ok: true };
  } catch (e) {
    reply = { seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});

port.postMessage({ seq: READY_SEQ, ok: true, native: binding !== undefined } satisfies Ready);
