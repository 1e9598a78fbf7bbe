/**
 * The declarations behind every function's table grants (FEATURES in functions/api/features.ts,
 * PARTITIONS in functions/data/keys.ts) agree with the code they describe: every key the key
 * module builds belongs to a declared partition family, and every feature with idempotent routes
 * may write Idempotency-Key records (and no other feature may); the documented table is FEATURES.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES, type FeatureDef } from '../../functions/api/features';
import { ROUTES } from '../../functions/api/routes';
import { PARTITIONS, keys } from '../../functions/data/keys';
import { DEFAULT_PIPELINE_ID } from '../../functions/pipelines/model';
import { stringLike, tableAccessRow, writtenPartitions } from '../../lib/grants';
import { REPO_ROOT } from '../../local/paths';
import { builtKeys } from '../support/key-builders';

const families = Object.entries(PARTITIONS);

describe('partition families (PARTITIONS)', () => {
  const built = builtKeys();

  it('finds the key builders by walking the key module', () => {
    expect(built.length).toBeGreaterThan(40);
    expect(built.map((k) => k.builder)).toEqual(expect.arrayContaining(['customer.primary', 'user.profile', 'audit.item', 'idempotency', 'customer.tagItem']));
  });

  it('hold every partition key the key module builds', () => {
    const homeless = built.filter((k) => !families.some(([, pattern]) => stringLike(k.pk, pattern)));
    expect(homeless).toEqual([]);
  });

  it('are each used by some key, so no grant names a partition nothing lives in', () => {
    const unused = families.filter(([, pattern]) => !built.some((k) => stringLike(k.pk, pattern))).map(([family]) => family);
    // The default pipeline's key is built from a fixed id (checked below), not a placeholder.
    expect(unused).toEqual(['defaultPipeline']);
  });

  it('overlap only where one is deliberately a part of another (the default pipeline)', () => {
    for (const k of built) {
      const matching = families.filter(([, pattern]) => stringLike(k.pk, pattern)).map(([family]) => family);
      expect(matching.length, `${k.builder}: ${matching.join(', ')}`).toBe(1);
    }
    expect(PARTITIONS.defaultPipeline).toBe(keys.pipeline.primary(DEFAULT_PIPELINE_ID).pk);
    expect(stringLike(PARTITIONS.defaultPipeline, PARTITIONS.pipeline)).toBe(true);
  });
});

describe('FEATURES table declarations', () => {
  it('let exactly the features with idempotent routes write Idempotency-Key records', () => {
    const idempotent = new Set(ROUTES.filter((r) => r.idempotent).map((r) => r.feature));
    for (const name of FEATURE_NAMES) {
      const feature: FeatureDef = FEATURES[name];
      expect(feature.table?.write?.idempotency ?? [], name).toEqual(idempotent.has(name) ? ['PutItem', 'UpdateItem', 'DeleteItem'] : []);
    }
  });

  it('declare each write family with at least one action and no read-only feature writes', () => {
    for (const name of FEATURE_NAMES) {
      const feature: FeatureDef = FEATURES[name];
      for (const [family, actions] of Object.entries(feature.table?.write ?? {})) expect(actions.length, `${name} ${family}`).toBeGreaterThan(0);
    }
    expect(writtenPartitions(FEATURES.system as FeatureDef)).toEqual([]);
    expect(writtenPartitions(FEATURES['events-publisher'] as FeatureDef)).toEqual([]);
  });
});

describe('docs/access-patterns.md "Who writes what"', () => {
  it('lists every function\'s table access exactly as FEATURES declares it', () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/access-patterns.md`, 'utf8');
    const section = doc.slice(doc.indexOf('## Who writes what'), doc.indexOf('\n## ', doc.indexOf('## Who writes what') + 3));
    const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Function') && !line.startsWith('| ---'));
    expect(rows).toEqual(FEATURE_NAMES.map((name) => tableAccessRow(name, FEATURES[name] as FeatureDef)));
  });
});
