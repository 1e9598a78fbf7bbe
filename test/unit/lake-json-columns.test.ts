/**
 * The lake's `json` columns hold plain JSON (`{"region":"north"}`), not DynamoDB's typed JSON
 * (`{"M":{"region":{"S":"north"}}}`): the DuckDB dialect run on DynamoDB-JSON items gives back the
 * values they were marshalled from — the same JSON an on-demand export file writes for them — and
 * the Athena dialect, which cannot run here, is checked for its shape.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { type LakeTable, lakeTables, transformSql } from '../../functions/analytics/lake';
import { columnValue } from '../../functions/exports/rows';

const table = (name: string): LakeTable => lakeTables().find((t) => t.name === name)!;
const jsonColumns = (t: LakeTable) => t.columns.filter((c) => c.type === 'json');

/** The json columns of `table` for each item, parsed, via the DuckDB transform. */
async function lakeJson(name: string, items: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const t = table(name);
  const lines = items.map((item) => `(${`'${JSON.stringify(marshall(item, { removeUndefinedValues: true })).replace(/'/g, "''")}'`})`);
  const from = `(SELECT CAST(line AS JSON) AS Item FROM (VALUES ${lines.join(', ')}) AS v(line))`;
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const names = jsonColumns(t).map((c) => `"${c.name}"`);
    const rows = (await db.runAndReadAll(`SELECT id, ${names.join(', ')} FROM (${transformSql(t, from, 'duckdb', 'salt')}) ORDER BY id`)).getRowObjectsJson();
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'id' || v === null ? v : JSON.parse(String(v))])));
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** What an on-demand export file writes for the same item's json columns (functions/exports/rows.ts). */
function exportJson(name: string, item: Record<string, unknown>): Record<string, unknown> {
  const stored = unmarshall(marshall(item, { removeUndefinedValues: true }));
  return Object.fromEntries(jsonColumns(table(name)).map((c) => {
    const cell = columnValue(c, stored);
    return [c.name, cell === undefined ? null : JSON.parse(String(cell))];
  }));
}

describe('json columns in the DuckDB dialect', () => {
  it('hold a pipeline\'s stages as plain JSON, optional fields left out and derived ones as the API derives them', async () => {
    // As stored: the API derives a stage's position (its index) and `retired` (a retiredAt is set).
    const stored = [
      { id: 'stg_1', name: 'Qualification', probability: 10 },
      { id: 'stg_2', name: 'Won "big"', probability: 100, retiredAt: '2026-01-02T03:04:05.000Z' },
    ];
    const items = [{ kind: 'pipeline', id: 'p1', name: 'Sales', stages: stored }, { kind: 'pipeline', id: 'p2', name: 'Empty', stages: [] }, { kind: 'pipeline', id: 'p3', name: 'None' }];
    const rows = await lakeJson('pipelines', items);
    const stages = [{ ...stored[0], position: 0, retired: false }, { ...stored[1], position: 1, retired: true }];
    expect(rows).toEqual([{ id: 'p1', stages }, { id: 'p2', stages: [] }, { id: 'p3', stages: null }]);
    // Export files carry the stored stages (functions/exports/rows.ts): the same JSON, without the derived properties.
    expect(exportJson('pipelines', items[0]!)).toEqual({ stages: stored });
    expect(exportJson('pipelines', items[1]!)).toEqual({ stages: [] });
    expect(exportJson('pipelines', items[2]!)).toEqual({ stages: null });
  });

  it('hold custom-field values of every type by their key, and agree with the export files', async () => {
    const custom = {
      ref: 'Ref-1', score: 42.5, big: 9007199254740991, creditLimit: { amount: 500000, currency: 'EUR' }, firstOrderOn: '2019-03-01',
      vip: true, off: false, channels: ['email', 'visit'], none: [], tags: new Set(['a', 'b']), dropped: null,
    };
    const items = [
      { kind: 'customer', id: 'c1', name: 'One', custom },
      { kind: 'customer', id: 'c2', name: 'Two', custom: {} },
      { kind: 'customer', id: 'c3', name: 'Three' },
    ];
    const rows = await lakeJson('customers', items);
    // A DynamoDB NULL is no value (the API deletes a cleared field), like an absent attribute.
    const { dropped: _, tags, ...plain } = custom;
    expect(rows).toEqual([{ id: 'c1', custom: { ...plain, tags: [...tags] } }, { id: 'c2', custom: {} }, { id: 'c3', custom: null }]);
    const exported = exportJson('customers', items[0]!).custom as Record<string, unknown>;
    // The export writes a nested set as JSON.stringify does (`{}`) and keeps the null: those two
    // aside (the API stores neither in `custom`), the files and the lake hold the same JSON.
    expect({ ...exported, tags: [...tags], dropped: undefined }).toEqual({ ...plain, tags: [...tags], dropped: undefined });
    expect(exportJson('customers', items[1]!)).toEqual({ custom: {} });
  });

  it('hold prices, deal lines, segment rules and campaign exclusions as plain JSON', async () => {
    const prices = [{ amount: 1999, currency: 'EUR' }, { amount: 2499, currency: 'USD' }];
    expect(await lakeJson('products', [{ kind: 'product', id: 'pr1', name: 'P', prices }])).toEqual([{ id: 'pr1', prices }]);
    const lineItems = [{ description: 'Setup', quantity: 2, unitPrice: { amount: 10000, currency: 'EUR' } }];
    expect(await lakeJson('deals', [{ kind: 'deal', id: 'd1', lineItems }])).toEqual([{ id: 'd1', line_items: lineItems, custom: null }]);
    const rules = { lifetimeValue: { currency: 'EUR', min: 100 }, openDeals: { has: true, pipelineIds: ['p1', 'p2'], minAmount: { currency: 'EUR', amount: 5000 } } };
    expect(await lakeJson('segments', [{ kind: 'segment', id: 's1', rules }, { kind: 'segment', id: 's2', rules: {} }]))
      .toEqual([{ id: 's1', rules_lifetime_value: rules.lifetimeValue, rules_open_deals: rules.openDeals }, { id: 's2', rules_lifetime_value: null, rules_open_deals: null }]);
    const audience = { segmentIds: ['s1'], listIds: [], exclude: { segmentIds: [], listIds: ['l1'] } };
    // A list of strings stored as a string set reads as a list as well.
    const asSet = { segmentIds: ['s1'], listIds: [], exclude: { segmentIds: new Set(['s2']), listIds: ['l1'] } };
    expect(await lakeJson('campaigns', [{ kind: 'campaign', id: 'k1', audience }, { kind: 'campaign', id: 'k2', audience: asSet }]))
      .toEqual([{ id: 'k1', audience_exclude: audience.exclude }, { id: 'k2', audience_exclude: { segmentIds: ['s2'], listIds: ['l1'] } }]);
  });
});

describe('json columns in the Athena dialect', () => {
  const sqlOf = (name: string, column: string, dialect: 'athena' | 'duckdb') => {
    const t = table(name);
    return transformSql({ ...t, columns: t.columns.filter((c) => c.name === column) }, 'export_items', dialect, 'salt');
  };
  const balanced = (sql: string) => {
    let depth = 0;
    for (const ch of sql.replace(/'(?:[^']|'')*'/g, "''")) {
      depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      if (depth < 0) return false;
    }
    return depth === 0;
  };

  it('uses Trino\'s JSON functions only, and converts by the same plan as DuckDB', () => {
    const duckOnly = [/json_extract_string/, /\bto_json\(/, /list_transform\(/, /list_filter\(/, /map_entries\(/, /map_from_entries\(/, /\blambda /, /JSON\[\]/, /\bjson\(/];
    const trinoOnly = [/json_extract_scalar/, /json_parse\(/, /json_format\(/, /\btransform\(/, /map_filter\(/, /ARRAY\(JSON\)/, / -> /];
    for (const t of lakeTables()) {
      for (const column of jsonColumns(t)) {
        const athena = sqlOf(t.name, column.name, 'athena');
        const duck = sqlOf(t.name, column.name, 'duckdb');
        const where = `${t.name}.${column.name}`;
        for (const f of duckOnly) expect(athena, `${where}: ${f}`).not.toMatch(f);
        for (const f of trinoOnly) expect(duck, `${where}: ${f}`).not.toMatch(f);
        expect(athena, where).toMatch(new RegExp(`^SELECT\\n  json_format\\(.*\\) AS "${column.name}"\\nFROM export_items\\nWHERE json_extract_scalar\\(Item, '\\$\\.kind\\.S'\\) = '${t.kind}'$`, 's'));
        expect(balanced(athena), where).toBe(true);
        // The same conversions, dialect for dialect: one list, map or object per list, map or object.
        const count = (sql: string, re: RegExp) => sql.match(re)?.length ?? 0;
        // (DuckDB converts a map's entries with list_transform, Trino with transform_values.)
        expect(count(athena, /\b(transform|transform_values|zip_with)\(/g), `${where} lists`).toBe(count(duck, /\blist_transform\(/g));
        expect(count(athena, /\bmap_filter\(/g), `${where} objects`).toBe(count(duck, /\blist_filter\(/g));
        expect(count(athena, /\btransform_values\(/g), `${where} maps`).toBe(count(duck, /AS MAP\(VARCHAR, JSON\)\)\), lambda/g));
        expect(count(athena, /json_parse\(/g), `${where} numbers`).toBe(count(duck, /\bjson\(/g));
      }
    }
  });

  it('reads a pipeline\'s stages and a customer\'s custom values from their DynamoDB JSON', () => {
    const stages = sqlOf('pipelines', 'stages', 'athena');
    const list = `CAST(json_extract(Item, '$.stages.L') AS ARRAY(JSON))`;
    expect(stages).toContain(`zip_with(${list}, slice(sequence(0, cardinality(${list})), 1, cardinality(${list})), (x1, i1) -> CASE WHEN json_extract(x1, '$.M') IS NOT NULL THEN CAST(map_filter(MAP(ARRAY['id', 'name', 'probability', 'position', 'retired', 'retiredAt'], ARRAY[`);
    expect(stages).toContain(`CAST(json_extract_scalar(x1, '$.M.name.S') AS JSON)`);
    expect(stages).toContain(`json_parse(json_extract_scalar(x1, '$.M.probability.N'))`);
    expect(stages).toContain(`CAST(i1 AS JSON), CAST(json_extract(x1, '$.M.retiredAt') IS NOT NULL AS JSON)`);
    expect(stages).toContain(`(k2, e2) -> e2 IS NOT NULL) AS JSON) END) AS JSON)`);
    const custom = sqlOf('customers', 'custom', 'athena');
    expect(custom).toMatch(/^SELECT\n {2}json_format\(CAST\(map_filter\(transform_values\(CAST\(json_extract\(Item, '\$\.custom\.M'\) AS MAP\(VARCHAR, JSON\)\), \(k1, e1\) -> coalesce\(CAST\(json_extract_scalar\(e1, '\$\.S'\) AS JSON\), json_parse\(json_extract_scalar\(e1, '\$\.N'\)\), json_extract\(e1, '\$\.BOOL'\), json_extract\(e1, '\$\.SS'\), /);
    expect(custom).toContain(`CAST(transform(CAST(json_extract(e1, '$.L') AS ARRAY(JSON)), x2 -> coalesce(`);
    expect(custom).toContain(`(k1, e1) -> e1 IS NOT NULL) AS JSON)) AS "custom"`);
  });
});
