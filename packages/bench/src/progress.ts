/**
 * Progress on stderr. On a TTY: one status line rewritten in place (elapsed time, phase,
 * step). Elsewhere (CI logs, pipes): one plain line per phase, no control characters.
 */
export class Progress {
  private readonly t0 = performance.now();
  private phaseName = '';
  private phases = 0;
  /** Number of phases the run will have (shown as [n/total]); 0 when unknown. */
  total = 0;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled = true,
  ) {
    this.tty = enabled && stream.isTTY === true;
    this.enabled = enabled;
  }
  private readonly enabled: boolean;

  private elapsed(): string {
    const s = Math.floor((performance.now() - this.t0) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  /** A major part of the run (a scenario, the CIDR benchmark, a sweep). */
  phase(name: string): void {
    this.phases++;
    this.phaseName = this.total > 0 ? `(${this.phases}/${this.total}) ${name}` : name;
    if (!this.enabled) return;
    if (this.tty) this.line(this.phaseName);
    else this.stream.write(`[${this.elapsed()}] ${this.phaseName}\n`);
  }

  /** A step inside the phase: shown on a TTY only. */
  step(what: string): void {
    if (this.tty) this.line(`${this.phaseName} · ${what}`);
  }

  private line(text: string): void {
    const width = Math.max(20, (this.stream.columns || 100) - 1);
    const s = `[${this.elapsed()}] ${text}`;
    this.stream.write(`\r\x1b[2K${s.length > width ? `${s.slice(0, width - 1)}…` : s}`);
  }

  /** Clears the status line (before printing results). */
  done(): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
  }
}
