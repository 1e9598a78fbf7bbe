import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestApp } from './test/infra/synth';
const s = buildTestApp();
s.app.synth();
const report = new AwsSolutionsChecks().validateScope(s.app);
const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
console.log('FINDINGS', JSON.stringify(findings, null, 1));
const assembly = s.app.synth();
console.log('WARNINGS', JSON.stringify(assembly.stacks.flatMap((st) => st.messages.filter((m) => m.level !== 'info').map((m) => `${st.stackName} ${m.level}: ${String(m.entry.data).slice(0, 200)}`))));
