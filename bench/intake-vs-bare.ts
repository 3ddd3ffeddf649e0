import { api, cpuLine, spreadText, inRounds, sideBySide, tag, type CpuPerItem, type Driven, type Rounds } from './lib';
import { bareIntake, benchVillage, num, pinganIntake, type Benchmark } from './context';
import { historyProfile } from './history-profile';
import { anatomy, anatomyRows, timed, type Timed } from './anatomy';
import { FrontComparison } from './front';

/**
 * Intake through the API against a bare update-with-start writing one row by one activity, at 1 and 8 clients;
 * `--rounds=K` repeats the 8-client one, `--rounds1=K` the 1-client one (`--n1` intakes). Each round also measures
 * the bare intake behind a minimal HTTP front against itself (bench/front.ts).
 */
export const intake: Benchmark = {
  name: 'intake',
  describe: 'POST /api/v1/mediations vs bare update-with-start + one activity writing one row; 1 and 8 clients; bare behind HTTP vs bare',
  async run(ctx) {
    const v = await benchVillage(ctx);
    // Each request's send and answer times in the last round at 8 clients, for the step-by-step anatomy.
    let times = { pingan: new Map() as Timed, bare: new Map() as Timed };
    const front = new FrontComparison(api((await ctx.b.bareHttp()).url));
    const runs: Record<string, { clients: number; pingan: Driven; bare: Driven; cpuMsPerItem?: CpuPerItem; rounds: Rounds }> = {};
    for (const [clients, n] of [[1, num(ctx, 'n1', 30)], [8, num(ctx, 'n', 200)]] as const) {
      // With --rounds=K (8 clients) or --rounds1=K (1 client) the measurement is repeated K times (the median round stands for it).
      const r = await inRounds(num(ctx, clients === 8 ? 'rounds' : 'rounds1', 1), async () => {
        // A short warm-up of both, so that neither pays for first connections and caches.
        for (let i = 0; i < 3; i++) {
          await pinganIntake(ctx.call, v.grid, v.village, -i);
          await bareIntake(ctx.b, `BARE-warm-${tag()}`);
          await front.call('POST', '/bare', '', { id: `BARE-warm-behind-${tag()}` });
        }
        const t = tag();
        const noted = { pingan: new Map() as Timed, bare: new Map() as Timed };
        if (clients === 8) times = noted;
        const measured = await sideBySide([...Array(n).keys()], clients, `×${clients}`,
          (i) => timed(noted.bare, `BARE-${t}-${i}`, () => bareIntake(ctx.b, `BARE-${t}-${i}`)),
          (i) => timed(noted.pingan, (id) => id, () => pinganIntake(ctx.call, v.grid, v.village, i)),
          () => ctx.b.cpu());
        await front.measure(n, clients, `×${clients}`,
          (i) => bareIntake(ctx.b, `BARE-straight-${t}-${i}`),
          (i) => front.call('POST', '/bare', '', { id: `BARE-behind-${t}-${i}` }),
          () => ctx.b.cpu());
        return measured;
      });
      const { pingan, bare, cpuMsPerItem } = r.middle;
      runs[`clients${clients}`] = { clients, pingan, bare, cpuMsPerItem, rounds: { throughput: r.throughput, p50: r.p50, p99: r.p99 } };
    }
    // What one intake costs in history, on each side (the Pingan case then waits on its clock).
    const pinganId = await pinganIntake(ctx.call, v.grid, v.village, 9999);
    const bareId = `BARE-hist-${tag()}`;
    await bareIntake(ctx.b, bareId);
    // Where an intake's time goes on each side, step by step (8 clients, last round, 100 requests of each).
    const steps = await anatomy(ctx.b.client, times);
    const history = { pingan: await historyProfile(ctx.b.client, pinganId), bare: await historyProfile(ctx.b.client, bareId) };
    const rows: (string | number)[][] = [['clients', 'n', 'pingan/s', 'bare/s', 'ratio', 'pingan p50/p99 ms', 'bare p50/p99 ms']];
    const ratios: Record<string, number> = {};
    for (const r of Object.values(runs)) {
      const t = r.rounds.throughput;
      ratios[`throughput${r.clients}`] = t.median;
      rows.push([r.clients, r.pingan.n, r.pingan.perSecond, r.bare.perSecond, spreadText(t), `${r.pingan.p50} / ${r.pingan.p99}`, `${r.bare.p50} / ${r.bare.p99}`]);
    }
    const cpu = runs.clients8?.cpuMsPerItem;
    rows.push(['CPU ms per intake (8 clients)', '', cpuLine(cpu?.pingan), cpuLine(cpu?.bare), '', '', '']);
    rows.push(...front.rows(7, 'intake'));
    rows.push(['where an intake\'s time goes (8 clients, last round)', '', 'pingan', 'bare', 'difference', '', ''], ...anatomyRows(steps, 7));
    rows.push(['history per intake', '', `pingan ${history.pingan.events} events ${history.pingan.bytes} B`, `bare ${history.bare.events} events ${history.bare.bytes} B`, '', '', '']);
    return { figures: { runs, ratios, cpuMsPerIntake8: cpu, bareBehindHttp: front.summary(), history, anatomy: steps }, table: rows };
  },
};
