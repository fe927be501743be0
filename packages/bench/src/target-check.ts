/** One performance target checked against a run (results.json `targets`); a leaf shared by the modules that compute them. */
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
