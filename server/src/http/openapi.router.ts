// GET /api/openapi.json: the REST API's OpenAPI 3.1 description, generated from the contract's route
// table and schemas (contract/src/openapi.ts). Open, like the docs of any public API: it says what
// the routes take and answer, and who may call them, never anything of this city.
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { openApiDocument } from '@citygrid/contract/openapi';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function openApiRouter(): Router {
  const router = Router();
  let doc: Record<string, unknown> | null = null; // made on first request, then kept
  router.get('/openapi.json', (_req, res) => {
    doc ??= openApiDocument({ version: VERSION });
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(doc);
  });
  return router;
}
