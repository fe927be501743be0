/** One performance target checked against a run (results.json `targets`), and how a figure is checked; a leaf shared by the modules that compute them. */
export interface TargetCheck {
  readonly id: string;
  readonly what: string;
  /** The target as written in DESIGN.md. */
  readonly target: string;
  readonly measured: number | null;
  readonly unit: string;
  /** null: not measured in this run (quick mode, native not loaded, ...). */
  readonly met: boolean | null;
  /** "missed by 1.3×" and the like, or why it was not measured. */
  readonly note: string;
}

/**
 * A target check from a measured figure: met or missed with the factor, or why it was not
 * measured (`missing`) when the figure is null.
 */
export function check(
  id: string,
  what: string,
  target: string,
  unit: string,
  measured: number | null | undefined,
  ok: (x: number) => boolean,
  limit: number,
  higherIsBetter: boolean,
  missing: string,
): TargetCheck {
  if (measured === null || measured === undefined || !Number.isFinite(measured)) return { id, what, target, measured: null, unit, met: null, note: missing };
  const met = ok(measured);
  const factor = higherIsBetter ? limit / measured : measured / limit;
  const note = met ? `met (${higherIsBetter ? (measured / limit).toFixed(2) : (limit / measured).toFixed(2)}× margin)` : `missed by ${factor.toFixed(2)}×`;
  return { id, what, target, measured, unit, met, note };
}
