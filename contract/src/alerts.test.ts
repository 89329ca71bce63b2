// Proves the shared labels: every colour has a level and a name in both languages, and a place's
// name in a language is its English name in English when it has one.
import { describe, expect, it } from 'vitest';
import { localName, SEVERITIES, SEVERITY_LEVEL, SEVERITY_NAME } from './alerts.js';

describe('shared alert labels', () => {
  it('gives every colour its level (red is I) and a name in zh-CN and en', () => {
    expect(SEVERITIES.map((s) => SEVERITY_LEVEL[s])).toEqual(['I', 'II', 'III', 'IV']);
    for (const locale of ['zh-CN', 'en'] as const) for (const s of SEVERITIES) expect(SEVERITY_NAME[locale][s]).toBeTruthy();
    expect(SEVERITY_NAME['zh-CN'].red).toBe('红色');
  });

  it('names a place in English only when it has an English name', () => {
    expect(localName({ name: '江汉区', name_en: 'Jianghan' }, 'en')).toBe('Jianghan');
    expect(localName({ name: '江汉区', name_en: 'Jianghan' }, 'zh-CN')).toBe('江汉区');
    expect(localName({ name: '江汉区' }, 'en')).toBe('江汉区');
  });
});
