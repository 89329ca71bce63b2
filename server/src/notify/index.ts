// Outgoing webhooks for alert transitions: message formats, mentions, signing, targets, and the non-blocking sender.
export * from './mentions.js';
export * from './sms-format.js';
export * from './webhook-formats.js';
export * from './webhook-signing.js';
export * from './webhook-targets.js';
export { WebhookSender } from './webhook-sender.js';
export type { WebhookResult, WebhookSenderOptions, WebhookStats } from './webhook-sender.js';
