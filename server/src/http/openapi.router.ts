// GET /api/openapi.json: the REST API's OpenAPI 3.1 description, generated from the contract's route
// table and schemas (contract/src/openapi.ts); GET /api/asyncapi.json: the MQTT topics and Socket.IO
// events as AsyncAPI 3.0 (contract/src/asyncapi.ts). GET /api/docs: the same, browsable, in Swagger UI
// (swagger-ui-dist, served from this server: no CDN, and within the Content-Security-Policy: no
// inline script). Both open, like the docs of any public API: they say what the routes take and
// answer, and who may call them, never anything of this city.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { asyncApiDocument } from '@citygrid/contract/asyncapi';
import { openApiDocument } from '@citygrid/contract/openapi';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CityGrid API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;
const INIT = "window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true });\n";

export function openApiRouter(): Router {
  const router = Router();
  let doc: Record<string, unknown> | null = null; // made on first request, then kept
  router.get('/openapi.json', (_req, res) => {
    doc ??= openApiDocument({ version: VERSION });
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(doc);
  });
  let events: Record<string, unknown> | null = null;
  router.get('/asyncapi.json', (_req, res) => {
    events ??= asyncApiDocument({ version: VERSION });
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(events);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  // the viewer's own two files, and nothing else of the package
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    router.get(`/docs/${file}`, (_req, res) => res.sendFile(join(SWAGGER_UI, file), { maxAge: '1d' }));
  }
  return router;
}
