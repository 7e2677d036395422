/** The shapes of bench/results.json. */

export type RunName = "source" | "destination" | "pipeline";

export interface RunResult {
  name: RunName;
  docs: number;
  latencyMs: number;
  seconds: number;
  docsPerSec: number;
  mbPerSec: number;
  /** Highest peak RSS of the connector process over the repetitions (pipeline: of either connector). */
  peakRssMb: number;
  cpuSeconds: number;
  /**
   * CPU seconds of the emulator process(es) the run talked to, during the run (median over the
   * repetitions): one for source and destination runs, source side then destination side for
   * pipelines. Shows when the stand-in server, not the connector, set the pace. Null where the
   * process's CPU can't be read (no /proc).
   */
  emulatorCpuSeconds: number[] | null;
  baselineDocsPerSec: number | null;
  ratio: number | null;
  /** The baseline's own figures, measured the same way. */
  baseline: Pick<RunResult, "seconds" | "docsPerSec" | "mbPerSec" | "peakRssMb" | "cpuSeconds" | "emulatorCpuSeconds"> | null;
  /** Pipeline only: the two connectors' peak RSS. */
  sourcePeakRssMb?: number;
  destinationPeakRssMb?: number;
  reps: number;
  /** Every repetition's wall seconds (connector, then baseline). */
  samples: { seconds: number[]; baselineSeconds: number[] };
  error?: string;
}

export interface Goal {
  goal: string;
  met: boolean | null;
  detail: string;
}

export interface BenchResults {
  node: string;
  cpus: number;
  cpuModel: string;
  date: string;
  gnuTime: boolean;
  settings: { sizes: number[]; latencies: number[]; reps: number; warmup: boolean };
  runs: RunResult[];
  goals: Goal[];
}
