/**
 * The bare baseline behind HTTP: the least an HTTP API in front of Temporal does, as its own process (like Pingan's
 * API): Express with a JSON body parser and two routes, the bare intake (update-with-start) and the bare `accept`
 * update, each answering the update's result. No authentication, no database, no logging. `npm run bench -- intake
 * staff-action` measure it against bare in every round, so that what any HTTP front costs is told apart from what
 * Pingan's own work costs. TEMPORAL_ADDRESS, BARE_TASK_QUEUE, PORT.
 */
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { bareAccept } from './bare';
import { bareIntakeWith } from './bare-client';

async function main() {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  const app = express();
  app.use(express.json());
  app.post('/bare', async (req, res) => {
    try {
      res.status(201).json({ id: await bareIntakeWith(client, String(req.body.id)) });
    } catch (err) {
      res.status(500).json({ error: { code: 'failed', message: (err as Error).message } });
    }
  });
  app.post('/bare/:id/accept', async (req, res) => {
    try {
      res.json({ id: await client.workflow.getHandle(req.params.id).executeUpdate(bareAccept) });
    } catch (err) {
      res.status(500).json({ error: { code: 'failed', message: (err as Error).message } });
    }
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ msg: 'API listening' })));
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => server.close(() => void connection.close().then(() => process.exit(0))));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
