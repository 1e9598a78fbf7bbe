import { BASELINE_ENTRY, buildBundle, kb } from './test/budget/cold-start';
const a = await buildBundle('b', BASELINE_ENTRY, '/tmp/cs/base'); const b = await buildBundle('b1', BASELINE_ENTRY, '/tmp/cs/base', { splitting: false });
console.log(kb(a.bytes), kb(b.bytes), a.contributors.slice(0,5));
