/**
 * SLA clocks of a ticket: first response (stops at the first public reply) and resolution (stops
 * at resolved, runs again on reopen). Each clock counts business time only (business-hours.ts) and
 * is paused while the ticket is `pending` (waiting on the customer). A running clock carries its
 * deadline (`dueAt`) and warning point (`warnAt`, `warnAtPercent` of the target); the SLA job
 * escalates each level — `<clock>.warning`, `<clock>.breach` — once (functions/tickets/escalation.ts).
 * Pure: every function returns a new state; table-tested in test/unit/ticket-sla.test.ts.
 */
import { addBusinessTime, type BusinessCalendar, businessTimeBetween } from './business-hours';

export const CLOCKS = ['firstResponse', 'resolution'] as const;
export type ClockName = (typeof CLOCKS)[number];
export type LevelName = `${ClockName}.${'warning' | 'breach'}`;

export interface ClockState {
  targetMinutes: number;
  /** Business milliseconds spent before `runningSince` (the clock's earlier running stretches). */
  elapsedMs: number;
  /** Set while running. */
  runningSince?: string;
  dueAt?: string;
  warnAt?: string;
  stoppedAt?: string;
  /** When the deadline passed unmet (set by the job's breach escalation, or when stopped late). */
  breachedAt?: string;
}

export interface Escalation {
  level: LevelName;
  at: string;
  /** User ids notified (in-app and email). */
  notified: string[];
}

export interface SlaState {
  /** `normal` or `normal/A` (a tier-specific policy). */
  policy: string;
  warnAtPercent: number;
  firstResponse: ClockState;
  resolution: ClockState;
  escalations: Escalation[];
  breaches: number;
}

export interface Targets {
  policy: string;
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

export interface SlaContext {
  calendar: BusinessCalendar;
  warnAtPercent: number;
}

const MINUTE = 60_000;

/** Deadline and warning point of a running clock, from where it (re)started and what it had spent. */
function schedule(clock: ClockState, ctx: SlaContext): ClockState {
  if (!clock.runningSince) return clock;
  const since = new Date(clock.runningSince);
  const target = clock.targetMinutes * MINUTE;
  const dueAt = addBusinessTime(since, Math.max(0, target - clock.elapsedMs), ctx.calendar).toISOString();
  const warnAt = addBusinessTime(since, Math.max(0, (target * ctx.warnAtPercent) / 100 - clock.elapsedMs), ctx.calendar).toISOString();
  return { ...clock, dueAt, warnAt };
}

function pause(clock: ClockState, at: Date, ctx: SlaContext): ClockState {
  if (!clock.runningSince) return clock;
  const { runningSince, dueAt: _d, warnAt: _w, ...rest } = clock;
  return { ...rest, elapsedMs: clock.elapsedMs + businessTimeBetween(new Date(runningSince), at, ctx.calendar) };
}

function resume(clock: ClockState, at: Date, ctx: SlaContext): ClockState {
  if (clock.runningSince || clock.stoppedAt) return clock;
  return schedule({ ...clock, runningSince: at.toISOString() }, ctx);
}

/** Stops a clock; a deadline already passed (and not yet recorded by the job) is recorded as breached. */
function stop(clock: ClockState, at: Date, ctx: SlaContext): { clock: ClockState; breached: boolean } {
  if (clock.stoppedAt) return { clock, breached: false };
  const late = !clock.breachedAt && clock.dueAt !== undefined && clock.dueAt < at.toISOString();
  const stopped = { ...pause(clock, at, ctx), stoppedAt: at.toISOString(), ...(late ? { breachedAt: clock.dueAt } : {}) };
  return { clock: stopped, breached: late };
}

export function startSla(targets: Targets, at: Date, ctx: SlaContext): SlaState {
  const clock = (minutes: number) => schedule({ targetMinutes: minutes, elapsedMs: 0, runningSince: at.toISOString() }, ctx);
  return {
    policy: targets.policy,
    warnAtPercent: ctx.warnAtPercent,
    firstResponse: clock(targets.firstResponseMinutes),
    resolution: clock(targets.resolutionMinutes),
    escalations: [],
    breaches: 0,
  };
}

export interface SlaChange {
  sla: SlaState;
  /** Clocks that breached just now (stopped after their deadline before the job recorded it). */
  newBreaches: ClockName[];
}

type Status = 'new' | 'open' | 'pending' | 'on_hold' | 'resolved' | 'closed';

/** What a status change does to the clocks: pause on pending, stop on resolved, resume otherwise. */
export function applyStatus(state: SlaState, from: Status, to: Status, at: Date, ctx: SlaContext): SlaChange {
  if (from === to) return { sla: state, newBreaches: [] };
  let next = { ...state };
  const newBreaches: ClockName[] = [];
  if (to === 'pending') {
    next = { ...next, firstResponse: pause(next.firstResponse, at, ctx), resolution: pause(next.resolution, at, ctx) };
  } else if (to === 'resolved' || to === 'closed') {
    for (const name of CLOCKS) {
      const r = stop(next[name], at, ctx);
      next = { ...next, [name]: r.clock };
      if (r.breached) newBreaches.push(name);
    }
  } else {
    if (from === 'resolved' || from === 'closed') {
      // Reopened: the resolution clock goes on from what it had spent; the first response stays answered.
      const { stoppedAt: _s, ...resolution } = next.resolution;
      next = { ...next, resolution };
    }
    next = { ...next, firstResponse: resume(next.firstResponse, at, ctx), resolution: resume(next.resolution, at, ctx) };
  }
  return { sla: { ...next, breaches: next.breaches + newBreaches.length }, newBreaches };
}

/** The first public reply stops the first-response clock. */
export function firstResponse(state: SlaState, at: Date, ctx: SlaContext): SlaChange {
  const r = stop(state.firstResponse, at, ctx);
  return { sla: { ...state, firstResponse: r.clock, breaches: state.breaches + (r.breached ? 1 : 0) }, newBreaches: r.breached ? ['firstResponse'] : [] };
}

/** New targets (a priority change): running clocks keep what they spent and get new deadlines. */
export function retarget(state: SlaState, targets: Targets, at: Date, ctx: SlaContext): SlaState {
  const move = (clock: ClockState, minutes: number) => {
    if (clock.stoppedAt) return clock;
    const running = !!clock.runningSince;
    const paused = { ...pause(clock, at, ctx), targetMinutes: minutes };
    return running ? resume(paused, at, ctx) : paused;
  };
  return {
    ...state,
    policy: targets.policy,
    firstResponse: move(state.firstResponse, targets.firstResponseMinutes),
    resolution: move(state.resolution, targets.resolutionMinutes),
  };
}

const escalated = (state: SlaState, level: LevelName) => state.escalations.some((e) => e.level === level);

/** Levels whose time has come at `now` and that were not escalated yet, warnings before breaches. */
export function dueLevels(state: SlaState, now: Date): LevelName[] {
  const t = now.toISOString();
  const out: LevelName[] = [];
  for (const kind of ['warning', 'breach'] as const) {
    for (const name of CLOCKS) {
      const clock = state[name];
      const at = kind === 'warning' ? clock.warnAt : clock.dueAt;
      const level = `${name}.${kind}` as LevelName;
      if (clock.runningSince && at !== undefined && at <= t && !escalated(state, level)) out.push(level);
    }
  }
  return out;
}

/** When the job must look at the ticket next: the earliest pending warning or deadline of a running clock. */
export function nextCheckAt(state: SlaState): string | undefined {
  let next: string | undefined;
  for (const name of CLOCKS) {
    const clock = state[name];
    if (!clock.runningSince) continue;
    if (clock.warnAt && !escalated(state, `${name}.warning`) && (!next || clock.warnAt < next)) next = clock.warnAt;
    if (clock.dueAt && !escalated(state, `${name}.breach`) && (!next || clock.dueAt < next)) next = clock.dueAt;
  }
  return next;
}

/** The earliest deadline of a running clock (breached ones included: they sort first). */
export function nextDeadline(state: SlaState): { at: string; kind: ClockName } | undefined {
  let next: { at: string; kind: ClockName } | undefined;
  for (const name of CLOCKS) {
    const clock = state[name];
    if (clock.runningSince && clock.dueAt && (!next || clock.dueAt < next.at)) next = { at: clock.dueAt, kind: name };
  }
  return next;
}

/** Records an escalation; a breach level also records the breach (at the deadline) and counts it. */
export function recordEscalation(state: SlaState, level: LevelName, at: Date, notified: string[]): SlaState {
  const next: SlaState = { ...state, escalations: [...state.escalations, { level, at: at.toISOString(), notified }] };
  const [name, kind] = level.split('.') as [ClockName, 'warning' | 'breach'];
  if (kind === 'breach' && !next[name].breachedAt) {
    next[name] = { ...next[name], breachedAt: next[name].dueAt ?? at.toISOString() };
    next.breaches += 1;
  }
  return next;
}

/** The public view of a clock. */
export function clockView(clock: ClockState) {
  const running = !!clock.runningSince;
  return {
    targetMinutes: clock.targetMinutes,
    spentMinutes: Math.round((clock.elapsedMs / MINUTE) * 100) / 100,
    state: clock.stoppedAt ? 'stopped' as const : running ? 'running' as const : 'paused' as const,
    ...(clock.dueAt ? { dueAt: clock.dueAt } : {}),
    ...(clock.warnAt ? { warnAt: clock.warnAt } : {}),
    ...(clock.stoppedAt ? { stoppedAt: clock.stoppedAt } : {}),
    ...(clock.breachedAt ? { breachedAt: clock.breachedAt } : {}),
  };
}
