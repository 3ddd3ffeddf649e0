import { bareAccept } from './bare';
import { drive, ratio, sideBySide, tag } from './lib';
import { bareIntake, benchVillage, num, pinganIntake, type Benchmark } from './context';
import { historyProfile } from './history-profile';

/** A staff action (accept) on a running case against a bare update on a running workflow that writes one row. */
export const staffAction: Benchmark = {
  name: 'staff-action',
  describe: 'POST /api/v1/mediations/:id/accept vs bare update + one activity on a running workflow; 8 clients',
  async run(ctx) {
    const n = num(ctx, 'n', 200);
    const clients = num(ctx, 'clients', 8);
    const v = await benchVillage(ctx);
    const t = tag();
    const bareIds = [...Array(n).keys()].map((i) => `BARE-acc-${t}-${i}`);
    await drive(bareIds, 8, 'bare cases', (id) => bareIntake(ctx.b, id));
    const ids: string[] = [];
    await drive([...Array(n).keys()], 8, 'pingan cases', async (i) => ids.push(await pinganIntake(ctx.call, v.grid, v.village, i)));
    const { bare, pingan } = await sideBySide([...Array(n).keys()], clients, 'accept',
      (i) => ctx.b.client.workflow.getHandle(bareIds[i]).executeUpdate(bareAccept),
      (i) => ctx.call('POST', `/api/v1/mediations/${ids[i]}/accept`, v.mediator, {}));
    // What one case (intake + accept) costs in history, on each side.
    const history = { pingan: await historyProfile(ctx.b.client, ids[0]), bare: await historyProfile(ctx.b.client, bareIds[0]) };
    const ratios = { throughput: ratio(pingan.perSecond, bare.perSecond), p50: ratio(bare.p50, pingan.p50), p99: ratio(bare.p99, pingan.p99) };
    return {
      figures: { clients, pingan, bare, ratios, history, note: 'p50/p99 ratios are bare ÷ Pingan latency (1 = as fast as bare)' },
      table: [
        ['clients', 'n', 'pingan/s', 'bare/s', 'ratio', 'pingan p50/p99 ms', 'bare p50/p99 ms', 'p50 ratio'],
        [clients, n, pingan.perSecond, bare.perSecond, ratios.throughput, `${pingan.p50} / ${pingan.p99}`, `${bare.p50} / ${bare.p99}`, ratios.p50],
        ['history per case (intake + accept)', '', `pingan ${history.pingan.events} events ${history.pingan.bytes} B`, `bare ${history.bare.events} events ${history.bare.bytes} B`, '', '', '', ''],
      ],
    };
  },
};
