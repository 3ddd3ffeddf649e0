import { bareIntakeWith } from './bare-client';
import { api, tag, type Api, type Bench, type Proc } from './lib';

/** What a benchmark gets: the run's infrastructure, Pingan's API and worker, the bare worker, and its arguments. */
export interface Ctx {
  b: Bench;
  url: string;
  call: Api;
  pinganWorker: Proc;
  bareWorker: Proc;
  /** Restarts Pingan's worker (after a benchmark stopped it). */
  restartPinganWorker(): Promise<Proc>;
  args: Record<string, string>;
}

export interface BenchResult {
  /** Figures for the JSON file. */
  figures: Record<string, unknown>;
  /** Rows of the printed table (the first is the heading). */
  table: (string | number)[][];
}

export interface Benchmark {
  name: string;
  describe: string;
  run(ctx: Ctx): Promise<BenchResult>;
}

export const num = (ctx: Ctx, key: string, fallback: number) => Number(ctx.args[key] ?? fallback);

/** A village with a grid worker and a village mediator, for cases that the bench creates through the API. */
export async function benchVillage(ctx: Ctx, prefix = '基准') {
  const t = tag();
  const county = `${prefix}县${t}`;
  const township = `${county}/基准镇`;
  const village = `${township}/基准村`;
  const user = async (body: object) => (await ctx.call('POST', '/api/v1/users', ctx.b.adminToken, body)) as { token: string; user: { id: string } };
  const grid = await user({ name: '基准网格员', email: `grid-${t}@bench.cn`, role: 'grid_worker', area: village });
  const mediator = await user({ name: '基准调解员', email: `med-${t}@bench.cn`, role: 'mediator', level: 'village', area: village });
  return { county, township, village, grid: grid.token, mediator: mediator.token, user };
}

/** Requests that failed with 5xx (or no answer) and were retried, as a careful client retries: same Idempotency-Key. */
export const retried: string[] = [];

export async function pinganIntake(call: Api, token: string, village: string, i: number): Promise<string> {
  const key = `bench-${tag()}-${i}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const c = await call('POST', '/api/v1/mediations', token, {
        category: 'neighbourhood', summary: `基准测试纠纷第${i}件`, area: village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }],
      }, { 'Idempotency-Key': key });
      return c.id as string;
    } catch (err) {
      const message = (err as Error).message;
      if (attempt >= 3 || / 4\d\d /.test(message)) throw err;
      retried.push(message.slice(0, 200));
    }
  }
}

/** The bare intake: update-with-start that answers once the workflow's one activity has written the row. */
export function bareIntake(b: Bench, id: string, dueAt?: number): Promise<string> {
  return bareIntakeWith(b.client, id, dueAt);
}

export { api };
