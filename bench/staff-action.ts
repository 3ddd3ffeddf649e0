import { bareAccept } from './bare';
import { cpuLine, drive, inRounds, sideBySide, tag } from './lib';
import { bareIntake, benchVillage, num, pinganIntake, type Benchmark } from './context';
import { historyProfile } from './history-profile';
import { anatomy, anatomyRows, timed, type Timed } from './anatomy';

/** A staff action (accept) on a running case against a bare update on a running workflow that writes one row; `--rounds=K` repeats it. */
export const staffAction: Benchmark = {
  name: 'staff-action',
  describe: 'POST /api/v1/mediations/:id/accept vs bare update + one activity on a running workflow; 8 clients',
  async run(ctx) {
    const n = num(ctx, 'n', 200);
    const clients = num(ctx, 'clients', 8);
    let last = { pingan: '', bare: '' };
    // Each request's send and answer times in the last round, for the step-by-step anatomy.
    let times = { pingan: new Map() as Timed, bare: new Map() as Timed };
    const v = await benchVillage(ctx);
    const r = await inRounds(num(ctx, 'rounds', 1), async () => {
      const t = tag();
      const bareIds = [...Array(n).keys()].map((i) => `BARE-acc-${t}-${i}`);
      await drive(bareIds, 8, 'bare cases', (id) => bareIntake(ctx.b, id));
      const ids: string[] = [];
      await drive([...Array(n).keys()], 8, 'pingan cases', async (i) => ids.push(await pinganIntake(ctx.call, v.grid, v.village, i)));
      last = { pingan: ids[0], bare: bareIds[0] };
      times = { pingan: new Map(), bare: new Map() };
      return sideBySide([...Array(n).keys()], clients, 'accept',
        (i) => timed(times.bare, bareIds[i], () => ctx.b.client.workflow.getHandle(bareIds[i]).executeUpdate(bareAccept)),
        (i) => timed(times.pingan, ids[i], () => ctx.call('POST', `/api/v1/mediations/${ids[i]}/accept`, v.mediator, {})),
        () => ctx.b.cpu());
    });
    const { bare, pingan, cpuMsPerItem } = r.middle;
    // What one case (intake + accept) costs in history, on each side.
    const history = { pingan: await historyProfile(ctx.b.client, last.pingan), bare: await historyProfile(ctx.b.client, last.bare) };
    // Where an accept's time goes on each side, step by step (last round, 100 requests of each).
    const steps = await anatomy(ctx.b.client, times);
    const ratios = { throughput: r.throughput.median, p50: r.p50.median, p99: r.p99.median };
    const rounds = { throughput: r.throughput, p50: r.p50, p99: r.p99 };
    return {
      figures: { clients, pingan, bare, ratios, rounds, cpuMsPerAccept: cpuMsPerItem, history, anatomy: steps, note: 'p50/p99 ratios are bare ÷ Pingan latency (1 = as fast as bare); with --rounds=K each ratio is the median of K rounds, and pingan/bare are the median round' },
      table: [
        ['clients', 'n', 'pingan/s', 'bare/s', 'ratio', 'pingan p50/p99 ms', 'bare p50/p99 ms', 'p50 ratio'],
        [clients, n, pingan.perSecond, bare.perSecond, rounds.throughput.each.length > 1 ? `${ratios.throughput} (${rounds.throughput.min}–${rounds.throughput.max})` : ratios.throughput, `${pingan.p50} / ${pingan.p99}`, `${bare.p50} / ${bare.p99}`, ratios.p50],
        ['CPU ms per accept, by process', '', cpuLine(cpuMsPerItem?.pingan), cpuLine(cpuMsPerItem?.bare), '', '', '', ''],
        ['where an accept\'s time goes (last round)', '', 'pingan', 'bare', 'difference', '', '', ''],
        ...anatomyRows(steps, 8),
        ['history per case (intake + accept)', '', `pingan ${history.pingan.events} events ${history.pingan.bytes} B`, `bare ${history.bare.events} events ${history.bare.bytes} B`, '', '', '', ''],
      ],
    };
  },
};
