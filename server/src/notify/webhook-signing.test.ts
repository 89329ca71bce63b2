// Proves each webhook signature scheme (generic HMAC, DingTalk 加签, Feishu 签名校验; none for WeCom) against fixed vectors whose expected values were computed outside this code.
//
// Every expected value below is a literal. Each was computed once, by hand, with node:crypto directly and
// cross-checked with `openssl dgst -sha256 -hmac` and with Python's hmac module written the way the vendors'
// own sample code is written; none was produced by webhook-signing.ts. If a literal and the code disagree,
// the code is wrong (or the scheme changed on purpose, and then the vendor reference must be re-read).
//
// Where each scheme comes from:
// - generic: README.md, section "Webhooks": `X-CityGrid-Signature: sha256=HMAC(secret, "<X-CityGrid-Timestamp>.<body>")`,
//   hex digest, timestamp in epoch ms (also the doc comment on signGeneric).
// - DingTalk custom robot 加签: https://help.dingtalk.io/open/dingstart/customize-robot-security-settings
//   (DingTalk's official "Custom bot security settings"): string_to_sign = timestamp + "\n" + secret,
//   HmacSHA256 keyed with the secret over string_to_sign, Base64, then urlEncode, UTF-8; timestamp in
//   milliseconds; both appended to the webhook URL as `&timestamp=...&sign=...`.
//   The page's samples use the current time (System.currentTimeMillis() / time.time()) and print no
//   result, so DingTalk publishes no worked example (fixed secret, timestamp and sign) to copy here.
// - Feishu/Lark custom bot 签名校验: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
//   (Lark: https://open.larksuite.com/document/client-docs/bot-v3/add-custom-bot): string_to_sign =
//   timestamp + "\n" + secret is the HMAC-SHA256 KEY, the message is empty, Base64; timestamp in seconds,
//   sent in the JSON body as `timestamp` (string) and `sign`. The docs give 1599360473 as an example
//   timestamp but no secret and no expected sign, so there is no published worked example either.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Alert, AlertSocketEvent } from '@citygrid/contract';
import { buildWebhookRequest as build, dingtalkSign, feishuSign, signGeneric, verifyGenericSignature } from './webhook-signing.js';

/** Every request here has somebody to go to. */
function buildWebhookRequest(...args: Parameters<typeof build>) {
  const req = build(...args);
  if (!req) throw new Error('no request was built');
  return req;
}

function event(): AlertSocketEvent {
  const alert: Alert = {
    id: 'a-1', rule: 'underpass-flooding', ruleKind: 'threshold', severity: 'red', key: 'wl-1', devices: ['wl-1'],
    grid: 'c-1', district: 'east', message: 'Underpass flooded', guidance: 'Close it', values: { level_cm: 35 },
    state: 'firing', startedAt: 1_790_000_000_000, updatedAt: 1_790_000_000_000, acknowledgedAt: null, acknowledgedBy: null,
    resolvedAt: null, resolvedBy: null, escalation: 0, assignees: [], ackDeadline: 1_790_000_600_000, suppressed: false,
  };
  return { event: 'firing', actor: 'system', note: null, alert };
}

describe('generic (README "Webhooks": sha256=hex HMAC-SHA256(secret, "<timestamp>.<body>"))', () => {
  const SECRET = 'whsec-citygrid-test';
  const TS = '1790000000000';
  const ASCII_BODY = '{"version":1,"event":"firing","note":null}';
  const UTF8_BODY = '{"note":"已到场处置"}';
  // printf '%s' '1790000000000.{"version":1,"event":"firing","note":null}' | openssl dgst -sha256 -hmac whsec-citygrid-test
  const ASCII_SIG = 'sha256=114d898a03b4b714d7cf6300b3270a85e9679a5f10f38583a511fad3c1bfb1ab';
  // the same over the UTF-8 bytes of the Chinese body
  const UTF8_SIG = 'sha256=222a1c69d41542492fda3451cd20b58ec7f9caa1e16e27da1f474c2a944f4d10';
  // what a wrong scheme, "<body>.<timestamp>", would give for the ASCII body: the code must not produce it
  const SWAPPED_SIG = 'sha256=b4d1590dc6ed8173b57bec285eb03cdb3016ba1f6e33c50719a4bd83aa88357c';

  it('signs the fixed vectors exactly (string and byte bodies, ASCII and UTF-8)', () => {
    expect(signGeneric(SECRET, TS, ASCII_BODY)).toBe(ASCII_SIG);
    expect(signGeneric(SECRET, Number(TS), ASCII_BODY)).toBe(ASCII_SIG);
    expect(signGeneric(SECRET, TS, UTF8_BODY)).toBe(UTF8_SIG);
    expect(signGeneric(SECRET, TS, Buffer.from(UTF8_BODY, 'utf8'))).toBe(UTF8_SIG);
    expect(signGeneric(SECRET, TS, new TextEncoder().encode(UTF8_BODY))).toBe(UTF8_SIG);
    expect(signGeneric(SECRET, TS, ASCII_BODY)).not.toBe(SWAPPED_SIG);
  });

  it('the receiver helper accepts the documented signature and refuses the swapped-order one', () => {
    expect(verifyGenericSignature(SECRET, TS, ASCII_BODY, ASCII_SIG)).toBe(true);
    expect(verifyGenericSignature(SECRET, TS, Buffer.from(UTF8_BODY, 'utf8'), UTF8_SIG)).toBe(true);
    expect(verifyGenericSignature(SECRET, TS, ASCII_BODY, SWAPPED_SIG)).toBe(false);
    expect(verifyGenericSignature(SECRET, TS, ASCII_BODY, ASCII_SIG, { maxAgeMs: 300_000, now: Number(TS) + 299_000 })).toBe(true);
    expect(verifyGenericSignature(SECRET, TS, ASCII_BODY, ASCII_SIG, { maxAgeMs: 300_000, now: Number(TS) + 301_000 })).toBe(false);
  });

  it('the request carries the clock it was given in X-CityGrid-Timestamp and a signature over exactly the body sent', () => {
    const req = buildWebhookRequest({ url: 'https://example.test/hook', format: 'generic', secret: SECRET }, event(), 'd-1', 1_790_000_000_000);
    expect(req.url).toBe('https://example.test/hook');
    expect(req.headers['X-CityGrid-Timestamp']).toBe(TS);
    expect(req.headers['X-CityGrid-Delivery']).toBe('d-1');
    // independent recomputation with node:crypto over the bytes the receiver will get
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${TS}.${req.body}`, 'utf8').digest('hex')}`;
    expect(req.headers['X-CityGrid-Signature']).toBe(expected);
    expect(JSON.parse(req.body)).toMatchObject({ version: 1, event: 'firing', alert: { id: 'a-1' } });
  });

  it('sends no signature without a secret', () => {
    const req = buildWebhookRequest({ url: 'https://example.test/hook', format: 'generic' }, event(), 'd-1', 1_790_000_000_000);
    expect(req.headers['X-CityGrid-Signature']).toBeUndefined();
    expect(req.headers['X-CityGrid-Timestamp']).toBe(TS);
  });
});

describe('DingTalk 加签 (base64 HMAC-SHA256(key = secret, msg = timestampMs + "\\n" + secret), URL-encoded)', () => {
  const SECRET = 'SEC3f1e0c9a7b5d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a2c4e6b8d0';
  const TS_MS = 1_790_000_000_001; // chosen so the Base64 holds '+', '/' and '=': URL encoding matters
  // printf '1790000000001\n%s' "$SECRET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
  const SIGN = 'wyXoi/nVbK+zVb27fH/mU4BEI6WfWhkl5QDXftlV3r8=';
  // Python, as in DingTalk's sample: urllib.parse.quote_plus(base64.b64encode(hmac_code))
  const SIGN_URL = 'wyXoi%2FnVbK%2BzVb27fH%2FmU4BEI6WfWhkl5QDXftlV3r8%3D';

  it('signs the fixed vector exactly', () => {
    expect(dingtalkSign(SECRET, TS_MS)).toBe(SIGN);
    expect(dingtalkSign(SECRET, String(TS_MS))).toBe(SIGN);
  });

  it('matches a vector published by an independent implementation', () => {
    // Third-party, not DingTalk's: the Rust crate `dingding` 0.1.1, test `creates_expected_signature`,
    // https://docs.rs/crate/dingding/latest/source/src/signature.rs — create_signature("1700000000000", "secret")
    // == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D" (already URL-encoded). Re-checked with openssl.
    expect(encodeURIComponent(dingtalkSign('secret', '1700000000000'))).toBe('OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D');
  });

  it('appends timestamp (ms) and the URL-encoded sign to the webhook URL, keeping its access_token', () => {
    const req = buildWebhookRequest(
      { url: 'https://oapi.dingtalk.com/robot/send?access_token=tok', format: 'dingtalk', secret: SECRET }, event(), 'd-1', TS_MS,
    );
    expect(req.url).toBe(`https://oapi.dingtalk.com/robot/send?access_token=tok&timestamp=1790000000001&sign=${SIGN_URL}`);
    const parsed = new URL(req.url);
    expect(parsed.searchParams.get('access_token')).toBe('tok');
    expect(parsed.searchParams.get('timestamp')).toBe('1790000000001');
    expect(parsed.searchParams.get('sign')).toBe(SIGN); // decodes back to the raw Base64, '+' intact
    expect(JSON.parse(req.body)).not.toHaveProperty('sign');
  });

  it('starts the query with ? when the URL has none, and leaves an unsigned robot alone', () => {
    const signed = buildWebhookRequest({ url: 'https://robot.example.test/send', format: 'dingtalk', secret: SECRET }, event(), 'd-1', TS_MS);
    expect(signed.url).toBe(`https://robot.example.test/send?timestamp=1790000000001&sign=${SIGN_URL}`);
    const unsigned = buildWebhookRequest({ url: 'https://oapi.dingtalk.com/robot/send?access_token=tok', format: 'dingtalk' }, event(), 'd-1', TS_MS);
    expect(unsigned.url).toBe('https://oapi.dingtalk.com/robot/send?access_token=tok');
  });
});

describe('Feishu 签名校验 (base64 HMAC-SHA256(key = timestampS + "\\n" + secret, msg = empty))', () => {
  const SECRET = 'feishu-bot-secret';
  // printf '' | openssl dgst -sha256 -hmac "$(printf '1790000123\nfeishu-bot-secret')" -binary | base64
  const SIGN = 'egFg0SZ8RUeI0YebLtxRMMSqZnYWvGwO5LzrvZ19Aho=';
  // 1599360473 is the example timestamp in Feishu's doc; secret and sign are ours (the doc publishes none)
  const DOC_TS_SIGN = 'krgeryOUMdaNvzRD8NywSKo0jcTF0YKc3WgRCchGt+w=';

  it('signs the fixed vectors exactly', () => {
    expect(feishuSign(SECRET, '1790000123')).toBe(SIGN);
    expect(feishuSign(SECRET, 1_790_000_123)).toBe(SIGN);
    expect(feishuSign(SECRET, '1599360473')).toBe(DOC_TS_SIGN);
  });

  it('is not the DingTalk construction (secret as key, string_to_sign as message), a common mix-up', () => {
    const dingtalkStyle = createHmac('sha256', SECRET).update(`1790000123\n${SECRET}`).digest('base64');
    expect(dingtalkStyle).not.toBe(SIGN);
    expect(feishuSign(SECRET, '1790000123')).not.toBe(dingtalkStyle);
  });

  it('puts timestamp (seconds, as a string) and sign in the JSON body and leaves the URL alone', () => {
    const req = buildWebhookRequest(
      { url: 'https://open.feishu.cn/open-apis/bot/v2/hook/xyz', format: 'feishu', secret: SECRET }, event(), 'd-1', 1_790_000_123_999,
    );
    expect(req.url).toBe('https://open.feishu.cn/open-apis/bot/v2/hook/xyz');
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body.timestamp).toBe('1790000123'); // floor of ms / 1000, not rounded
    expect(body.sign).toBe(SIGN);
    expect(body.msg_type).toBe('interactive');
  });

  it('sends no timestamp or sign without a secret', () => {
    const req = buildWebhookRequest({ url: 'https://open.feishu.cn/open-apis/bot/v2/hook/xyz', format: 'feishu' }, event(), 'd-1', 1_790_000_123_999);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty('sign');
    expect(body).not.toHaveProperty('timestamp');
  });
});

describe('WeCom (no signature scheme)', () => {
  it('sends the markdown body with no signature anywhere, even if a secret is configured', () => {
    const req = buildWebhookRequest(
      { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', format: 'wecom', secret: 'ignored' }, event(), 'd-1', 1_790_000_000_000,
    );
    expect(req.url).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k');
    expect(Object.keys(req.headers).filter((h) => /signature|timestamp/i.test(h))).toEqual([]);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty('sign');
    expect(body).not.toHaveProperty('timestamp');
    expect(body.msgtype).toBe('markdown');
  });
});
