import { middleRound, spreadOf } from '../../bench/lib';

/** Runs `count` calls of `fn` with `concurrency` in flight; the latency of each (ms) and the throughput. */
export async function runConcurrently(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
  progress?: (done: number) => void,
): Promise<{ ms: number[]; perSecond: number }> {
  const ms: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t = process.hrtime.bigint();
      await fn(i);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (progress && ms.length % 50 === 0) progress(ms.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ms, perSecond: Number((ms.length / seconds).toFixed(2)) };
}

/** The p-th quantile (0..1) of latencies in ms, rounded to 0.1 ms (nearest rank). */
export function percentile(ms: number[], p: number): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))].toFixed(1));
}

type Measured = Awaited<ReturnType<typeof runConcurrently>>;
const side = (m: Measured) => ({ perSecond: m.perSecond, p50: percentile(m.ms, 0.5), p99: percentile(m.ms, 0.99) });

/** The figures of one side-by-side measurement: each side's throughput, p50 and p99, and Pingan ÷ bare throughput. */
export function sideBySideFigures(n: number, bare: Measured, pingan: Measured) {
  return { n, bare: side(bare), pingan: side(pingan), throughputRatio: Number((pingan.perSecond / bare.perSecond).toFixed(2)) };
}

/**
 * The figures of K side-by-side rounds: the round whose ratio is the median one (the lower middle for an even K)
 * stands for the run, with every round's ratio and their median, lowest and highest beside it (one round on a shared
 * 2-core machine moves by ±0.15 and more).
 */
export function roundsFigures(rounds: ReturnType<typeof sideBySideFigures>[]) {
  return { ...middleRound(rounds, (r) => r.throughputRatio), rounds: spreadOf(rounds.map((r) => r.throughputRatio)) };
}

/** Round `r` of a side-by-side measurement: both sides in turn, bare first in even rounds and Pingan first in odd ones. */
export async function inTurn<T>(r: number, bare: () => Promise<T>, pingan: () => Promise<T>): Promise<{ bare: T; pingan: T }> {
  if (r % 2 === 0) {
    const b = await bare();
    return { bare: b, pingan: await pingan() };
  }
  const p = await pingan();
  return { bare: await bare(), pingan: p };
}
