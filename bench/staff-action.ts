import { bareAccept } from './bare';
import { api, cpuLine, drive, spreadText, inRounds, sideBySide, tag, type CpuPerItem, type Driven, type Rounds } from './lib';
import { bareIntake, benchVillage, num, pinganIntake, type Benchmark } from './context';
import { historyProfile } from './history-profile';
import { anatomy, anatomyRows, timed, type Timed } from './anatomy';
import { FrontComparison } from './front';

/**
 * A staff action (accept) on a running case against a bare update on a running workflow that writes one row, at 1
 * client (a member's pace: `--n1`; `--rounds1=K` repeats it) and at 8 (`--clients`, `--n`); `--rounds=K` repeats the
 * 8-client one.
 * Each round also measures the bare update behind a minimal HTTP front against itself (bench/front.ts).
 */
export const staffAction: Benchmark = {
  name: 'staff-action',
  describe: 'POST /api/v1/mediations/:id/accept vs bare update + one activity on a running workflow; 1 and 8 clients; bare behind HTTP vs bare',
  async run(ctx) {
    const many = num(ctx, 'clients', 8);
    let last = { pingan: '', bare: '' };
    // Each request's send and answer times in the last round at `many` clients, for the step-by-step anatomy.
    let times = { pingan: new Map() as Timed, bare: new Map() as Timed };
    const v = await benchVillage(ctx);
    const front = new FrontComparison(api((await ctx.b.bareHttp()).url));
    const runs: Record<string, { clients: number; pingan: Driven; bare: Driven; cpuMsPerItem?: CpuPerItem; rounds: Rounds }> = {};
    for (const [clients, n] of [[1, num(ctx, 'n1', 30)], [many, num(ctx, 'n', 200)]] as const) {
      const r = await inRounds(num(ctx, clients === many ? 'rounds' : 'rounds1', 1), async () => {
        const t = tag();
        // Bare cases for Pingan's comparison, and two more sets for the HTTP front's: straight and behind HTTP.
        const ids = (what: string) => [...Array(n).keys()].map((i) => `BARE-${what}-${t}-${i}`);
        const [bareIds, straightIds, behindIds] = [ids('acc'), ids('straight'), ids('behind')];
        await drive([...bareIds, ...straightIds, ...behindIds], 8, 'bare cases', (id) => bareIntake(ctx.b, id));
        const cases: string[] = [];
        await drive([...Array(n).keys()], 8, 'pingan cases', async (i) => cases.push(await pinganIntake(ctx.call, v.grid, v.village, i)));
        last = { pingan: cases[0], bare: bareIds[0] };
        const noted = { pingan: new Map() as Timed, bare: new Map() as Timed };
        if (clients === many) times = noted;
        const measured = await sideBySide([...Array(n).keys()], clients, `accept ×${clients}`,
          (i) => timed(noted.bare, bareIds[i], () => ctx.b.client.workflow.getHandle(bareIds[i]).executeUpdate(bareAccept)),
          (i) => timed(noted.pingan, cases[i], () => ctx.call('POST', `/api/v1/mediations/${cases[i]}/accept`, v.mediator, {})),
          () => ctx.b.cpu());
        await front.measure(n, clients, `accept ×${clients}`,
          (i) => ctx.b.client.workflow.getHandle(straightIds[i]).executeUpdate(bareAccept),
          (i) => front.call('POST', `/bare/${behindIds[i]}/accept`, '', {}),
          () => ctx.b.cpu());
        return measured;
      });
      const { pingan, bare, cpuMsPerItem } = r.middle;
      runs[`clients${clients}`] = { clients, pingan, bare, cpuMsPerItem, rounds: { throughput: r.throughput, p50: r.p50, p99: r.p99 } };
    }
    // What one case (intake + accept) costs in history, on each side.
    const history = { pingan: await historyProfile(ctx.b.client, last.pingan), bare: await historyProfile(ctx.b.client, last.bare) };
    // Where an accept's time goes on each side, step by step (`many` clients, last round, 100 requests of each).
    const steps = await anatomy(ctx.b.client, times);
    const main = runs[`clients${many}`];
    const ratioOf = (r: Rounds) => ({ throughput: r.throughput.median, p50: r.p50.median, p99: r.p99.median });
    return {
      figures: {
        clients: many, pingan: main.pingan, bare: main.bare, ratios: ratioOf(main.rounds), rounds: main.rounds,
        cpuMsPerAccept: main.cpuMsPerItem, runs, ratiosByClients: Object.fromEntries(Object.values(runs).map((r) => [r.clients, ratioOf(r.rounds)])),
        bareBehindHttp: front.summary(), history, anatomy: steps,
        note: 'p50/p99 ratios are bare ÷ Pingan latency (1 = as fast as bare); with --rounds=K (8 clients) and --rounds1=K (1 client) each ratio is the median of K rounds, and pingan/bare are the median round; bareBehindHttp: the same bare update behind a minimal HTTP front against bare straight, in the same rounds',
      },
      table: [
        ['clients', 'n', 'pingan/s', 'bare/s', 'ratio', 'pingan p50/p99 ms', 'bare p50/p99 ms', 'p50 ratio', 'p99 ratio'],
        ...Object.values(runs).map((r) => [r.clients, r.pingan.n, r.pingan.perSecond, r.bare.perSecond, spreadText(r.rounds.throughput),
          `${r.pingan.p50} / ${r.pingan.p99}`, `${r.bare.p50} / ${r.bare.p99}`, spreadText(r.rounds.p50), spreadText(r.rounds.p99)]),
        [`CPU ms per accept, by process (${many} clients)`, '', cpuLine(main.cpuMsPerItem?.pingan), cpuLine(main.cpuMsPerItem?.bare), '', '', '', '', ''],
        ...front.rows(9, 'accept'),
        [`where an accept's time goes (${many} clients, last round)`, '', 'pingan', 'bare', 'difference', '', '', '', ''],
        ...anatomyRows(steps, 9),
        ['history per case (intake + accept)', '', `pingan ${history.pingan.events} events ${history.pingan.bytes} B`, `bare ${history.bare.events} events ${history.bare.bytes} B`, '', '', '', '', ''],
      ],
    };
  },
};
