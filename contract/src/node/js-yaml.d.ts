// The part of js-yaml 4 (no bundled types) that city-loader.ts and city-writer.ts use.
declare module 'js-yaml' {
  export const CORE_SCHEMA: unknown;
  export function load(text: string, options?: { schema?: unknown; filename?: string }): unknown;
  export function dump(value: unknown, options?: { flowLevel?: number; lineWidth?: number; noRefs?: boolean; sortKeys?: boolean }): string;
}
