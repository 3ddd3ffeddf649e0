import fs from 'node:fs';
import path from 'node:path';

/**
 * The architecture's import rules, read from the sources: domain/ imports nothing of the other layers, activities/
 * and platform/ never import workflows/ (what both sides share, such as a notice's data, lives in domain/), and
 * workflows/ import only domain/, each other and @temporalio/workflow (types of @temporalio/common are erased).
 */
const root = path.join(__dirname, '..');

function importsOf(dir: string): { file: string; from: string; typeOnly: boolean }[] {
  const out: { file: string; from: string; typeOnly: boolean }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms)) {
          out.push({ file: path.relative(root, p), from: m[2], typeOnly: Boolean(m[1]) });
        }
      }
    }
  };
  walk(path.join(root, dir));
  return out;
}

/** The layer an import points to, for a relative import from `file`. */
const layerOf = (file: string, from: string): string | null =>
  from.startsWith('.') ? path.relative(root, path.resolve(root, path.dirname(file), from)).split(path.sep)[0] : null;

test('domain/, activities/ and platform/ never import workflows/', () => {
  const found = ['domain', 'activities', 'platform'].flatMap(importsOf);
  expect(found.length).toBeGreaterThan(20);
  const wrong = found.filter((i) => layerOf(i.file, i.from) === 'workflows' && !(i.file.startsWith('platform') && i.typeOnly));
  expect(wrong).toEqual([]);
  const domainOut = importsOf('domain').filter((i) => {
    const layer = layerOf(i.file, i.from);
    return layer !== null && layer !== 'domain';
  });
  expect(domainOut).toEqual([]);
});

test('workflows/ import only domain/, workflows/ and @temporalio/workflow', () => {
  const found = importsOf('workflows');
  expect(found.some((i) => i.from === './runner')).toBe(true);
  const wrong = found.filter((i) => {
    const layer = layerOf(i.file, i.from);
    if (layer === 'domain' || layer === 'workflows') return false;
    if (i.from === '@temporalio/workflow') return false;
    return !(i.from === '@temporalio/common' && i.typeOnly);
  });
  expect(wrong).toEqual([]);
});
