/**
 * How busy the machine was while something was measured: the 1-minute load average and, on
 * Linux, the cores other processes kept busy (/proc/stat's busy time minus this process's own
 * CPU time, over the wall time). A leaf: the timing core, the worker pool part and the cold
 * compile probes all record it beside their figures, so a slow figure on a busy host can be
 * told from a slow engine.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A CPU-time reading: the machine's busy seconds (null off Linux), this process's, and the wall clock (s). */
export interface CpuReading {
  readonly machine: number | null;
  readonly own: number;
  readonly wall: number;
}

/** Busy CPU seconds of the whole machine (Linux) and of this process, now. */
export function cpuNow(): CpuReading {
  let machine: number | null = null;
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait, in 1/100 s.
    machine = (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
  } catch {
    /* not Linux: no figure */
  }
  const u = process.cpuUsage();
  return { machine, own: (u.user + u.system) / 1e6, wall: performance.now() / 1000 };
}

/**
 * Cores other processes kept busy between two readings, on average (0: the machine was ours;
 * 1 on a 2-core host: one core was taken). null off Linux or over less than 50 ms (/proc/stat
 * counts in 10 ms ticks).
 */
export function foreignCores(a: CpuReading, b: CpuReading): number | null {
  if (a.machine === null || b.machine === null || b.wall - a.wall < 0.05) return null;
  return Math.round(Math.max(0, (b.machine - a.machine - (b.own - a.own)) / (b.wall - a.wall)) * 100) / 100;
}

/** The 1-minute load average now, two decimals. */
export const loadNow = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

/** The load beside a measurement: the 1-minute load average's range over its readings, and the cores others kept busy. */
export interface LoadFigures {
  /** Lowest and highest 1-minute load average read during the measurement (one reading per round). */
  readonly min: number;
  readonly max: number;
  /** Cores other processes kept busy while the measurement ran (null off Linux). */
  readonly foreignCores: number | null;
}

/** Collects load readings over a measurement made of separate timed stretches. */
export class LoadTracker {
  private lo = Infinity;
  private hi = -Infinity;
  private foreignSeconds = 0;
  private wallSeconds = 0;
  private linux = true;
  private open: CpuReading | null = null;

  /** A stretch begins: reads the load average and the CPU counters. */
  start(): void {
    const l = loadNow();
    if (l < this.lo) this.lo = l;
    if (l > this.hi) this.hi = l;
    this.open = cpuNow();
  }

  /** The stretch begun by start() ends. */
  stop(): void {
    const a = this.open;
    if (!a) return;
    const b = cpuNow();
    this.open = null;
    if (a.machine === null || b.machine === null) {
      this.linux = false;
      return;
    }
    this.foreignSeconds += Math.max(0, b.machine - a.machine - (b.own - a.own));
    this.wallSeconds += b.wall - a.wall;
  }

  figures(): LoadFigures {
    const fc = this.linux && this.wallSeconds >= 0.05 ? Math.round((this.foreignSeconds / this.wallSeconds) * 100) / 100 : null;
    return { min: Number.isFinite(this.lo) ? this.lo : loadNow(), max: Number.isFinite(this.hi) ? this.hi : loadNow(), foreignCores: fc };
  }
}
