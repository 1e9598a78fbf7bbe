/**
 * Word lists for the demo data (local/seed.ts). Fictitious names across markets, including
 * accented Latin and Chinese names, so search and sorting get exercised with real-world text.
 * Every email address uses example.com/.org/.net and every website a `.example` domain.
 */

/** mulberry32: tiny, fast, good enough for demo data, identical on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Market {
  country: string;
  /** Dialling code and area code, e.g. `+49 30`. */
  phonePrefix: string;
  cities: { city: string; postalCode: string }[];
  streets: string[];
  /** `{street} {n}` or `{n} {street}`. */
  streetNumberFirst?: boolean;
  firstNames: string[];
  /** [surname as written, ASCII slug for email addresses] */
  lastNames: [string, string][];
  /** [company name pattern with {name}, slug]; {name} is a surname. */
  companyPatterns: string[];
  /** Whole company names that do not follow a pattern (e.g. Chinese), with slugs. */
  companyNames?: [string, string][];
  /** Given names come after the family name (Chinese). */
  familyNameFirst?: boolean;
  /** [given name, slug] for markets whose given names are not ASCII. */
  firstNameSlugs?: Record<string, string>;
  taxId: (n: number) => string;
  jobTitles: string[];
  weight: number;
}

const digits = (n: number, width: number) => String(n).padStart(width, '0').slice(-width);

export const MARKETS: Market[] = [
  {
    country: 'DE', phonePrefix: '+49 30', weight: 5,
    cities: [{ city: 'Berlin', postalCode: '10115' }, { city: 'München', postalCode: '80331' }, { city: 'Köln', postalCode: '50667' }, { city: 'Düsseldorf', postalCode: '40213' }, { city: 'Nürnberg', postalCode: '90402' }],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Schillerstraße', 'Königsallee', 'Mühlenweg', 'Gartenstraße'],
    firstNames: ['Jürgen', 'Anna', 'Lukas', 'Zoë', 'Matthias', 'Sören', 'Hannah', 'Jörg', 'Leonie', 'Björn'],
    lastNames: [['Müller', 'mueller'], ['Schäfer', 'schaefer'], ['Böhm', 'boehm'], ['Weiß', 'weiss'], ['Krüger', 'krueger'], ['Hoffmann', 'hoffmann'], ['Schröder', 'schroeder'], ['Becker', 'becker']],
    companyPatterns: ['{name} Maschinenbau GmbH', '{name} & Söhne KG', '{name} Logistik AG', 'Bäckerei {name}', '{name} Medizintechnik GmbH', '{name} Energie GmbH'],
    taxId: (n) => `DE${digits(100000000 + n * 7919, 9)}`,
    jobTitles: ['Geschäftsführer', 'Einkaufsleiterin', 'Head of Procurement', 'IT-Leiter', 'Buchhaltung'],
  },
  {
    country: 'FR', phonePrefix: '+33 1', weight: 3, streetNumberFirst: true,
    cities: [{ city: 'Paris', postalCode: '75002' }, { city: 'Lyon', postalCode: '69002' }, { city: 'Nantes', postalCode: '44000' }, { city: 'Besançon', postalCode: '25000' }],
    streets: ['rue de la Paix', 'avenue des Champs-Élysées', 'rue Saint-Honoré', 'boulevard Haussmann', 'place Bellecour'],
    firstNames: ['Hélène', 'François', 'Amélie', 'Jérôme', 'Chloé', 'Théo', 'Inès', 'Loïc'],
    lastNames: [['Lefèvre', 'lefevre'], ['Dubois', 'dubois'], ['Béranger', 'beranger'], ['Moreau', 'moreau'], ['Girard', 'girard'], ['Chevalier', 'chevalier']],
    companyPatterns: ['Atelier {name} SAS', 'Boulangerie {name}', 'Transports {name} SARL', '{name} Cosmétiques SA', 'Éditions {name}'],
    taxId: (n) => `FR${digits(10000000000 + n * 104729, 11)}`,
    jobTitles: ['Directeur commercial', 'Responsable achats', 'Directrice générale', 'Chef de projet'],
  },
  {
    country: 'ES', phonePrefix: '+34 91', weight: 2,
    cities: [{ city: 'Madrid', postalCode: '28013' }, { city: 'Barcelona', postalCode: '08002' }, { city: 'Málaga', postalCode: '29015' }, { city: 'A Coruña', postalCode: '15001' }],
    streets: ['Calle Mayor', 'Gran Vía', 'Paseo de la Castellana', 'Calle de Alcalá', 'Avenida de Andalucía'],
    firstNames: ['José', 'María', 'Begoña', 'Íñigo', 'Lucía', 'Álvaro', 'Sofía', 'Andrés'],
    lastNames: [['Núñez', 'nunez'], ['Peña', 'pena'], ['Muñoz', 'munoz'], ['García', 'garcia'], ['Álvarez', 'alvarez'], ['Ibáñez', 'ibanez']],
    companyPatterns: ['Construcciones {name} S.L.', 'Bodegas {name}', 'Distribuciones {name} S.A.', 'Clínica {name}'],
    taxId: (n) => `ES${'ABCDEFGH'[n % 8]}${digits(10000000 + n * 31, 8)}`,
    jobTitles: ['Director comercial', 'Jefa de compras', 'Gerente', 'Responsable de TI'],
  },
  {
    country: 'CN', phonePrefix: '+86 21', weight: 4, familyNameFirst: true,
    cities: [{ city: '上海', postalCode: '200000' }, { city: '北京', postalCode: '100000' }, { city: '深圳', postalCode: '518000' }, { city: '杭州', postalCode: '310000' }, { city: '成都', postalCode: '610000' }],
    streets: ['南京路', '长安街', '深南大道', '人民路', '解放路'],
    firstNames: ['伟', '娜', '敏', '洋', '静', '磊', '芳', '强', '秀英', '建华'],
    firstNameSlugs: { 伟: 'wei', 娜: 'na', 敏: 'min', 洋: 'yang', 静: 'jing', 磊: 'lei', 芳: 'fang', 强: 'qiang', 秀英: 'xiuying', 建华: 'jianhua' },
    lastNames: [['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'], ['赵', 'zhao'], ['黄', 'huang']],
    companyPatterns: [],
    companyNames: [
      ['上海东方物流有限公司', 'dongfang-wuliu'], ['深圳华信科技有限公司', 'huaxin-keji'], ['北京长城软件有限公司', 'changcheng-ruanjian'],
      ['杭州西湖茶业有限公司', 'xihu-chaye'], ['成都天府食品有限公司', 'tianfu-shipin'], ['广州珠江电子有限公司', 'zhujiang-dianzi'],
      ['苏州园林建筑设计院', 'yuanlin-jianzhu'], ['南京金陵医疗器械有限公司', 'jinling-yiliao'], ['青岛海风贸易有限公司', 'haifeng-maoyi'],
    ],
    taxId: (n) => `91310000${digits(1000000000 + n * 7907, 9)}X`,
    jobTitles: ['总经理', '采购经理', '销售总监', 'IT 主管'],
  },
  {
    country: 'US', phonePrefix: '+1 415', weight: 4, streetNumberFirst: true,
    cities: [{ city: 'San Francisco', postalCode: '94103' }, { city: 'Austin', postalCode: '73301' }, { city: 'Boston', postalCode: '02108' }, { city: 'Seattle', postalCode: '98101' }],
    streets: ['Market Street', 'Main Street', 'Congress Avenue', 'Pine Street', 'Harbor Drive'],
    firstNames: ['Emily', 'Michael', 'Olivia', 'James', 'Ava', 'Daniel', 'Grace', 'Ethan'],
    lastNames: [['Johnson', 'johnson'], ['Nguyen', 'nguyen'], ['Smith', 'smith'], ['Rodríguez', 'rodriguez'], ['O\'Brien', 'obrien'], ['Kowalski', 'kowalski']],
    companyPatterns: ['{name} Analytics Inc.', '{name} & Partners LLC', 'Brightwater {name} Corp.', '{name} Health Systems', '{name} Robotics Inc.'],
    taxId: (n) => `${digits(10 + (n % 89), 2)}-${digits(1000000 + n * 131, 7)}`,
    jobTitles: ['VP Sales', 'Procurement Manager', 'CTO', 'Office Manager', 'Head of Operations'],
  },
  {
    country: 'GB', phonePrefix: '+44 20', weight: 2,
    cities: [{ city: 'London', postalCode: 'EC1A 1BB' }, { city: 'Manchester', postalCode: 'M1 1AE' }, { city: 'Edinburgh', postalCode: 'EH1 1YZ' }],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road'],
    streetNumberFirst: true,
    firstNames: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Siobhán'],
    lastNames: [['Taylor', 'taylor'], ['Davies', 'davies'], ['Evans', 'evans'], ['Ó Súilleabháin', 'osuilleabhain'], ['Wright', 'wright']],
    companyPatterns: ['Harbour & {name} Ltd', '{name} Consulting Ltd', '{name} Brewing Co.', '{name} Estates plc'],
    taxId: (n) => `GB${digits(100000000 + n * 977, 9)}`,
    jobTitles: ['Managing Director', 'Buyer', 'Finance Director', 'Operations Lead'],
  },
  {
    country: 'SE', phonePrefix: '+46 8', weight: 1,
    cities: [{ city: 'Stockholm', postalCode: '111 52' }, { city: 'Göteborg', postalCode: '411 01' }, { city: 'Malmö', postalCode: '211 20' }],
    streets: ['Drottninggatan', 'Storgatan', 'Kungsgatan', 'Östra Hamngatan'],
    firstNames: ['Åsa', 'Björn', 'Märta', 'Öjvind', 'Linnéa', 'Erik'],
    lastNames: [['Åkesson', 'akesson'], ['Björk', 'bjork'], ['Lindström', 'lindstrom'], ['Sjöberg', 'sjoberg']],
    companyPatterns: ['{name} Trä AB', '{name} Design AB', 'Nordic {name} AB'],
    taxId: (n) => `SE${digits(100000000000 + n * 1009, 12)}`,
    jobTitles: ['VD', 'Inköpschef', 'Försäljningschef'],
  },
  {
    country: 'PL', phonePrefix: '+48 22', weight: 1,
    cities: [{ city: 'Warszawa', postalCode: '00-001' }, { city: 'Kraków', postalCode: '30-001' }, { city: 'Łódź', postalCode: '90-001' }, { city: 'Gdańsk', postalCode: '80-001' }],
    streets: ['ulica Marszałkowska', 'ulica Floriańska', 'ulica Piotrkowska', 'ulica Długa'],
    firstNames: ['Łukasz', 'Małgorzata', 'Paweł', 'Zofia', 'Wojciech', 'Agnieszka'],
    lastNames: [['Wójcik', 'wojcik'], ['Kowalczyk', 'kowalczyk'], ['Lewandowski', 'lewandowski'], ['Zieliński', 'zielinski']],
    companyPatterns: ['{name} Budownictwo Sp. z o.o.', 'Przedsiębiorstwo {name}', '{name} Meble S.A.'],
    taxId: (n) => `PL${digits(1000000000 + n * 337, 10)}`,
    jobTitles: ['Prezes zarządu', 'Kierownik zakupów', 'Dyrektor handlowy'],
  },
  {
    country: 'PT', phonePrefix: '+351 21', weight: 1,
    cities: [{ city: 'Lisboa', postalCode: '1100-148' }, { city: 'Porto', postalCode: '4000-322' }, { city: 'Évora', postalCode: '7000-501' }],
    streets: ['Rua Augusta', 'Avenida da Liberdade', 'Rua de Santa Catarina'],
    firstNames: ['João', 'Inês', 'Gonçalo', 'Conceição', 'Tomás', 'Leonor'],
    lastNames: [['Gonçalves', 'goncalves'], ['Simões', 'simoes'], ['Conceição', 'conceicao'], ['Magalhães', 'magalhaes']],
    companyPatterns: ['{name} Têxteis Lda', 'Vinhos {name}', '{name} & Filhos Lda'],
    taxId: (n) => `PT${digits(500000000 + n * 211, 9)}`,
    jobTitles: ['Diretor comercial', 'Gestora de compras', 'Administrador'],
  },
];

export const INDUSTRIES = [
  'Manufacturing', 'Logistics', 'Software', 'Healthcare', 'Retail', 'Food & Beverage', 'Construction', 'Energy',
  'Financial Services', 'Education', 'Hospitality', 'Media', 'Agriculture', 'Automotive',
];

export const TAGS = ['vip', 'newsletter', 'partner', 'key account', 'trade fair 2025', 'b2b', 'b2c', 'renewal due', 'öko', 'pilot', '重点客户'];

/** [value, weight] */
export const TIER_WEIGHTS: [string, number][] = [['A', 1], ['B', 2.5], ['C', 3.5], ['D', 3]];
export const STAGE_WEIGHTS: [string, number][] = [['lead', 3], ['prospect', 2.5], ['opportunity', 1.5], ['customer', 3], ['churned', 0.7]];
export const SOURCE_WEIGHTS: [string, number][] = [['web', 3], ['referral', 2], ['event', 1.5], ['campaign', 1.5], ['partner', 1], ['cold_call', 1], ['import', 1], ['other', 0.5]];

/** Demo price list (EUR minor units, 19 % VAT): what the seeded quotes and deal amounts are built from. */
export const PRODUCTS: readonly { sku: string; name: string; description: string; price: number; taxRateBp: number }[] = [
  { sku: 'CRM-STD-SEAT', name: 'CRM Standard seat (12 months)', description: 'One named user, standard features, annual subscription', price: 48_000, taxRateBp: 1900 },
  { sku: 'CRM-PRO-SEAT', name: 'CRM Professional seat (12 months)', description: 'One named user with forecasting and quotes, annual subscription', price: 90_000, taxRateBp: 1900 },
  { sku: 'ONBOARDING', name: 'Onboarding package', description: 'Set-up, data import and go-live support', price: 250_000, taxRateBp: 1900 },
  { sku: 'TRAINING-DAY', name: 'On-site training day', description: 'One day of training for up to 12 people', price: 120_000, taxRateBp: 1900 },
  { sku: 'SUPPORT-PREMIUM', name: 'Premium support (12 months)', description: '24/7 support with a named contact', price: 300_000, taxRateBp: 1900 },
  { sku: 'INTEGRATION-WS', name: 'Integration workshop', description: 'Half-day workshop on connecting ERP and e-mail', price: 180_000, taxRateBp: 1900 },
];

/** Deal themes: a name and the product lines (SKU, quantity range) its amount is built from. */
export const DEAL_THEMES: readonly { name: string; lines: [sku: string, min: number, max: number][] }[] = [
  { name: 'CRM rollout', lines: [['CRM-STD-SEAT', 5, 40], ['ONBOARDING', 1, 1]] },
  { name: 'Professional upgrade', lines: [['CRM-PRO-SEAT', 5, 30], ['TRAINING-DAY', 1, 2]] },
  { name: 'Support renewal', lines: [['SUPPORT-PREMIUM', 1, 1], ['TRAINING-DAY', 1, 1]] },
  { name: 'Seat expansion', lines: [['CRM-STD-SEAT', 10, 60]] },
  { name: 'Integration project', lines: [['INTEGRATION-WS', 1, 3], ['ONBOARDING', 1, 1]] },
  { name: 'Pro seats for sales team', lines: [['CRM-PRO-SEAT', 8, 25]] },
];

export const WON_REASONS = ['Best fit for the rollout plan', 'Strong references in the industry', 'Price and support package', 'Fast onboarding'];
export const LOST_REASONS = ['Chose a competitor', 'No budget this year', 'Project postponed', 'No decision made', 'Went with an in-house tool'];

export const ACTIVITY_TEMPLATES: readonly {
  type: 'call' | 'meeting' | 'note';
  direction?: 'inbound' | 'outbound';
  channel?: string;
  subject: string;
  content: string;
  outcome?: string;
  minutes?: [number, number];
}[] = [
  { type: 'call', direction: 'outbound', channel: 'phone', subject: 'Discovery call', content: 'Talked through current tools, team size and the timeline for a decision.', outcome: 'Interested; send overview', minutes: [10, 30] },
  { type: 'call', direction: 'inbound', channel: 'phone', subject: 'Question about pricing', content: 'Asked about volume discounts and the difference between Standard and Professional seats.', outcome: 'Send price sheet', minutes: [5, 20] },
  { type: 'meeting', direction: 'outbound', channel: 'zoom', subject: 'Product demo', content: 'Demo of pipeline board, forecast and quotes for the sales leads.', outcome: 'Positive; trial requested', minutes: [45, 90] },
  { type: 'meeting', direction: 'outbound', channel: 'in person', subject: 'Kick-off meeting', content: 'Agreed scope, owners and the go-live date.', outcome: 'Project plan agreed', minutes: [60, 120] },
  { type: 'note', subject: 'Decision process', content: 'Budget is approved by the managing director; IT wants an integration review first.' },
  { type: 'call', direction: 'outbound', channel: 'phone', subject: 'Follow-up on proposal', content: 'Went through the proposal line by line; open questions on the training days.', outcome: 'Revised quote next week', minutes: [15, 40] },
];

export const TASK_TITLES: readonly { title: string; priority: 'low' | 'normal' | 'high' | 'urgent' }[] = [
  { title: 'Call back about the proposal', priority: 'high' },
  { title: 'Prepare demo for the sales team', priority: 'normal' },
  { title: 'Send contract draft', priority: 'high' },
  { title: 'Schedule quarterly review', priority: 'low' },
  { title: 'Check integration requirements with IT', priority: 'normal' },
  { title: 'Update close date and next steps', priority: 'urgent' },
];

/** The User-Agent of the demo seed's requests: the local gateway prints no line for them. */
export const SEED_USER_AGENT = 'crm-local-seed';

/** Where the seed is: `phase` of SEED_PHASES, `done` of `total` items of it. */
export type SeedProgress = (phase: SeedPhase, done: number, total: number) => void;
export const SEED_PHASES = ['customers', 'deals', 'activities', 'tasks'] as const;
export type SeedPhase = (typeof SEED_PHASES)[number];
