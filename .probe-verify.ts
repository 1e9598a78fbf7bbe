import { localIssuer } from './local/jwt.ts';
const issuer = await localIssuer();
const tok = await issuer.signToken({ sub: 'u', email: 'a@b.c', groups: ['admin'], username: 'u' });
await issuer.verifier.verify(tok);
const c = process.cpuUsage(); const t = performance.now();
for (let i = 0; i < 500; i++) await issuer.verifier.verify(tok);
const u = process.cpuUsage(c); console.log('verify per token ms cpu', ((u.user + u.system) / 1000 / 500).toFixed(3), 'wall', ((performance.now() - t) / 500).toFixed(3));
