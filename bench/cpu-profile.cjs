// Preloaded by NODE_OPTIONS=--require: a V8 CPU profile of this thread, written at exit into PROF_DIR.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const { threadId } = require('node:worker_threads');
const dir = process.env.PROF_DIR;
if (dir) {
  const s = new inspector.Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 500 });
  s.post('Profiler.start');
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    s.post('Profiler.stop', (err, r) => {
      if (err) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${process.pid}-${threadId}.cpuprofile`), JSON.stringify(r.profile));
    });
  };
  process.on('exit', write);
}
