/**
 * The bare baseline behind HTTP: the least an HTTP API in front of Temporal does, as its own process (like Pingan's
 * API): Express with a JSON body parser and two routes, the bare intake (update-with-start) and the bare `accept`
 * update, each answering the update's result. No authentication, no database, no logging. `npm run bench -- intake
 * staff-action` measure it against bare in every round, so that what any HTTP front costs is told apart from what
 * Pingan's own work costs. TEMPORAL_ADDRESS, BARE_TASK_QUEUE, PORT.
 */
import { Client, Connection } from '@temporalio/client';
import express, { type Request, type Response } from 'express';
import { bareAccept } from './bare';
import { bareIntakeWith } from './bare-client';

async function main() {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  const app = express();
  app.use(express.json());
  // Each route answers the update's result, or 500 with the error.
  const answer = (send: (req: Request) => Promise<string>, status = 200) => async (req: Request, res: Response) => {
    try {
      res.status(status).json({ id: await send(req) });
    } catch (err) {
      res.status(500).json({ error: { code: 'failed', message: (err as Error).message } });
    }
  };
  app.post('/bare', answer((req) => bareIntakeWith(client, String(req.body.id)), 201));
  app.post('/bare/:id/accept', answer((req) => client.workflow.getHandle(String(req.params.id)).executeUpdate(bareAccept)));
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ msg: 'API listening' })));
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => server.close(() => void connection.close().then(() => process.exit(0))));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
