// Who a notification calls by name: the alert's current assignees (the cell's grid workers, after an
// escalation the district supervisor, at level 2 the control room; after a dispatch the person named),
// looked up in people.yaml's `contacts` by username. Pure: the lookup is passed in.
import type { AlertEventType, AlertSocketEvent, Contacts } from '@citygrid/contract';

/** Looks up a person's contact handles by username (people.yaml); undefined when they have none. */
export type ContactsLookup = (username: string) => Contacts | undefined;

/**
 * The transitions that ask someone to act: they mention the assignees (and go by SMS). An acknowledged,
 * resolved or updated alert is told to the group without calling anyone.
 */
export const REACH_EVENTS: readonly AlertEventType[] = ['firing', 'escalated', 'reopened', 'dispatched', 'sent_back'];

/** A chat message never calls more people than this (level 2 may be the whole control room). */
export const MAX_MENTIONS = 20;

export interface Reach {
  username: string;
  contacts: Contacts;
}

/** The assignees who have contact handles, in the alert's order, when this transition asks them to act. */
export function reachOf(event: AlertSocketEvent, contactsOf: ContactsLookup | undefined): Reach[] {
  if (!contactsOf || !REACH_EVENTS.includes(event.event)) return [];
  const out: Reach[] = [];
  for (const username of new Set(event.alert.assignees ?? [])) { // absent in alerts recorded before assignees existed
    const contacts = contactsOf(username);
    if (contacts) out.push({ username, contacts });
  }
  return out;
}

/** DingTalk `at`: a userId when the person has one, else their mobile; `@<each>` must also stand in the text. */
export function dingtalkMentions(reach: readonly Reach[]): { atUserIds: string[]; atMobiles: string[]; text: string } {
  const atUserIds: string[] = [];
  const atMobiles: string[] = [];
  for (const { contacts } of reach.slice(0, MAX_MENTIONS)) {
    if (contacts.dingtalk) atUserIds.push(contacts.dingtalk);
    else if (contacts.mobile) atMobiles.push(contacts.mobile);
  }
  return { atUserIds, atMobiles, text: [...atUserIds, ...atMobiles].map((h) => `@${h}`).join(' ') };
}

/** WeCom: `mentioned_list` (userids) and, for people without one, `mentioned_mobile_list` (text messages only). */
export function wecomMentions(reach: readonly Reach[]): { userIds: string[]; mobiles: string[] } {
  const userIds: string[] = [];
  const mobiles: string[] = [];
  for (const { contacts } of reach.slice(0, MAX_MENTIONS)) {
    if (contacts.wecom) userIds.push(contacts.wecom);
    else if (contacts.mobile) mobiles.push(contacts.mobile);
  }
  return { userIds, mobiles };
}

/** Feishu: the open_id or user_id of each assignee who has one (a card mentions by id only). */
export function feishuMentions(reach: readonly Reach[]): string[] {
  return reach.slice(0, MAX_MENTIONS).flatMap(({ contacts }) => (contacts.feishu ? [contacts.feishu] : []));
}

/** The assignees' mobiles, de-duplicated, at most `max`. */
export function mobilesOf(reach: readonly Reach[], max: number): string[] {
  return [...new Set(reach.flatMap(({ contacts }) => (contacts.mobile ? [contacts.mobile] : [])))].slice(0, Math.max(0, max));
}
