import { FEATURES } from './functions/api/features';
import { buildBundle, kb } from './test/budget/cold-start';
for (const n of process.argv.slice(2)) { const b = await buildBundle(n, FEATURES[n as keyof typeof FEATURES].entry, '/tmp/cs/contrib');
console.log(n, kb(b.bytes), b.contributors.slice(0, 25).map((c) => `${c.name} ${kb(c.bytes)}`).join(', ')); }
