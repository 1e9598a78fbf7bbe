/** What a reminder says, by email and in the app. Pure, so the wording is unit-tested. */
import { escapeHtml } from '../notifications/email';
import type { TaskItem } from './model';

/** "Tue, 3 Mar 2026, 09:00 CET" in the business time zone. */
export function formatLocalTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

export interface ReminderMessage {
  subject: string;
  text: string;
  html: string;
  link: string;
  /** One line for the in-app notification. */
  summary: string;
}

export function reminderMessage(task: Pick<TaskItem, 'id' | 'title' | 'notes' | 'dueAt' | 'priority'>, timeZone: string, appBaseUrl: string): ReminderMessage {
  const due = task.dueAt ? formatLocalTime(task.dueAt, timeZone) : undefined;
  const link = `${appBaseUrl.replace(/\/+$/, '')}/tasks/${task.id}`;
  const subject = `Reminder: ${task.title}${due ? ` — due ${due}` : ''}`;
  const lines = [
    task.title,
    due ? `Due: ${due}` : 'No due date',
    `Priority: ${task.priority}`,
    ...(task.notes ? ['', task.notes] : []),
    '',
    `Open the task: ${link}`,
  ];
  const html = [
    `<h2>${escapeHtml(task.title)}</h2>`,
    `<p>${due ? `Due: <strong>${escapeHtml(due)}</strong>` : 'No due date'}<br>Priority: ${escapeHtml(task.priority)}</p>`,
    ...(task.notes ? [`<p>${escapeHtml(task.notes).replace(/\n/g, '<br>')}</p>`] : []),
    `<p><a href="${escapeHtml(link)}">Open the task</a></p>`,
  ].join('\n');
  return { subject, text: lines.join('\n'), html, link, summary: due ? `Due ${due}` : 'No due date' };
}
