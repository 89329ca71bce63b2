// Builds the exact HTTP request for one delivery attempt and signs it the way each receiver expects:
// CityGrid's own HMAC headers for `generic` and `sms`, DingTalk's and Feishu's robot schemes, none for WeCom.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertSocketEvent } from '@citygrid/contract';
import { formatWebhookBody, type FormatOptions, type WebhookFormat } from './webhook-formats.js';
import { DEFAULT_SMS_MAX_RECIPIENTS } from './sms-format.js';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SignableTarget {
  url: string;
  format: WebhookFormat;
  secret?: string;
  /** WeCom: `markdown` (default) or `text`. */
  msgtype?: 'markdown' | 'text';
  /** sms: the provider's template id and the most recipients in one request. */
  template?: string;
  max_recipients?: number;
}

/**
 * Generic webhooks: `X-CityGrid-Signature: sha256=<hex>` where hex is
 * HMAC-SHA256(key = secret, message = `${timestamp}.${rawBody}`), timestamp being the decimal epoch-ms
 * value sent in `X-CityGrid-Timestamp` and rawBody the request body bytes exactly as received (verify
 * before parsing JSON). Signing the timestamp lets a receiver reject replays: refuse a request whose
 * timestamp is more than a few minutes from its own clock, and de-duplicate on `X-CityGrid-Delivery`
 * (the same for every retry of one delivery).
 */
export function signGeneric(secret: string, timestamp: number | string, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

export interface VerifyOptions {
  /** Reject timestamps further than this from `now` (replay window). */
  maxAgeMs?: number;
  /** Receiver's clock, epoch ms; defaults to Date.now(). */
  now?: number;
}

/** Receiver side of `signGeneric`; compares in constant time. False for any missing or malformed part. */
export function verifyGenericSignature(
  secret: string,
  timestamp: number | string | undefined,
  rawBody: string | Uint8Array,
  header: string | undefined,
  options: VerifyOptions = {},
): boolean {
  if (!secret || timestamp === undefined || header === undefined) return false;
  const ts = String(timestamp);
  if (!/^\d{1,16}$/.test(ts)) return false;
  if (options.maxAgeMs !== undefined && Math.abs((options.now ?? Date.now()) - Number(ts)) > options.maxAgeMs) return false;
  const expected = Buffer.from(signGeneric(secret, ts, rawBody), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** DingTalk robot 加签: base64(HMAC-SHA256(key = secret, message = `${timestampMs}\n${secret}`)). */
export function dingtalkSign(secret: string, timestampMs: number | string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu custom bot 签名校验: base64(HMAC-SHA256(key = `${timestampSeconds}\n${secret}`, message = empty)). */
export function feishuSign(secret: string, timestampSeconds: number | string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** The target's own settings for the formatter, on top of the sender's options. */
export function targetFormatOptions(target: SignableTarget, options: FormatOptions): FormatOptions {
  if (target.format === 'wecom' && target.msgtype) return { ...options, wecomMsgtype: target.msgtype };
  if (target.format === 'sms') return { ...options, sms: { template: target.template ?? '', maxRecipients: target.max_recipients ?? DEFAULT_SMS_MAX_RECIPIENTS } };
  return options;
}

/**
 * The request for one attempt at `nowMs`; signatures are fresh on every attempt, the delivery id is not.
 * Null when the format has nobody to send to (`sms` and no assignee with a mobile).
 */
export function buildWebhookRequest(
  target: SignableTarget,
  event: AlertSocketEvent,
  deliveryId: string,
  nowMs: number,
  options: FormatOptions = {},
): WebhookRequest | null {
  const payload = formatWebhookBody(target.format, event, targetFormatOptions(target, options));
  if (payload === null) return null;
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'CityGrid-Webhook/1' };
  const secret = target.secret;
  switch (target.format) {
    // an SMS/voice gateway checks the same HMAC headers as a generic receiver (see signGeneric)
    case 'sms':
    case 'generic': {
      const body = JSON.stringify(payload);
      headers['X-CityGrid-Event'] = event.event;
      headers['X-CityGrid-Delivery'] = deliveryId;
      headers['X-CityGrid-Timestamp'] = String(nowMs);
      if (secret) headers['X-CityGrid-Signature'] = signGeneric(secret, nowMs, body);
      return { url: target.url, headers, body };
    }
    case 'dingtalk': {
      const body = JSON.stringify(payload);
      if (!secret) return { url: target.url, headers, body };
      const sep = target.url.includes('?') ? '&' : '?';
      const url = `${target.url}${sep}timestamp=${nowMs}&sign=${encodeURIComponent(dingtalkSign(secret, nowMs))}`;
      return { url, headers, body };
    }
    case 'feishu': {
      if (!secret) return { url: target.url, headers, body: JSON.stringify(payload) };
      const timestamp = String(Math.floor(nowMs / 1000));
      return { url: target.url, headers, body: JSON.stringify({ timestamp, sign: feishuSign(secret, timestamp), ...payload }) };
    }
    case 'wecom':
      return { url: target.url, headers, body: JSON.stringify(payload) };
  }
}
