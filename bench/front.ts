import { cpuLine, roundOf, sideBySide, spreadText, summariseRounds, type Api, type Round } from './lib';

/**
 * The calibration of the side-by-side benchmarks: the bare baseline straight (gRPC from the driver) against the same
 * bare baseline behind a minimal HTTP front (bench/bare-http.ts), measured in the same round as Pingan against bare.
 * Pingan is reached through HTTP too, so this tells what any HTTP API in front of Temporal costs here from what
 * Pingan's own work (access rules, register, audit, search attributes) costs.
 */
export class FrontComparison {
  /** The rounds at each client count ("pingan" in sideBySide's terms is the HTTP front here). */
  private readonly byClients = new Map<number, Round[]>();

  constructor(readonly call: Api) {}

  /** One round at `clients`: `straight(i)` sends item i over gRPC, `behind(i)` through the HTTP front. */
  async measure(n: number, clients: number, label: string, straight: (i: number) => Promise<unknown>, behind: (i: number) => Promise<unknown>, cpu: () => Record<string, number>) {
    const h = await sideBySide([...Array(n).keys()], clients, `${label} (bare behind HTTP)`, straight, behind, cpu);
    const rounds = this.byClients.get(clients) ?? this.byClients.set(clients, []).get(clients)!;
    rounds.push(roundOf(h));
  }

  /** Per client count: each ratio's median over the rounds (lowest, highest, each), and the median round's figures. */
  summary() {
    return Object.fromEntries([...this.byClients].map(([clients, rs]) => {
      const { middle, ...rounds } = summariseRounds(rs);
      return [clients, { clients, front: middle.pingan, bare: middle.bare, cpuMsPerItem: middle.cpuMsPerItem, rounds }];
    }));
  }

  /** Table rows in the benchmarks' columns (clients, n, front/s, bare/s, ratio, p50/p99 of each), padded to `width`. */
  rows(width: number, what: string): (string | number)[][] {
    const pad = (row: (string | number)[]) => [...row, ...Array(Math.max(0, width - row.length)).fill('')];
    const s = Object.values(this.summary());
    const last = s[s.length - 1];
    return [
      pad([`bare behind a minimal HTTP front against bare (${what})`, '', 'behind HTTP/s', 'bare/s', 'ratio', 'behind HTTP p50/p99 ms', 'bare p50/p99 ms']),
      ...s.map((r) => pad([r.clients, r.front.n, r.front.perSecond, r.bare.perSecond, spreadText(r.rounds.throughput), `${r.front.p50} / ${r.front.p99}`, `${r.bare.p50} / ${r.bare.p99}`])),
      ...(last ? [pad([`CPU ms per ${what}, bare behind HTTP (${last.clients} clients)`, '', cpuLine(last.cpuMsPerItem?.pingan), cpuLine(last.cpuMsPerItem?.bare)])] : []),
    ];
  }
}
