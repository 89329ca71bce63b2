// Security headers (helmet, with a Content-Security-Policy the dashboard runs under) and CORS, which
// is closed unless CORS_ORIGINS names the other origins allowed to call the API.
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // ECharts and Vue set inline style attributes
        styleSrc: ["'self'", "'unsafe-inline'"],
        // the favicon is a data: URL; charts may export to blob:
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        // REST and the Socket.IO websocket go to the same origin
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // no upgrade-insecure-requests: a plain-HTTP install on a LAN must keep working
      },
    },
    // a wall screen may embed nothing; the map draws on canvas, never cross-origin images
    crossOriginEmbedderPolicy: false,
  });
}

/** CORS for the listed origins only (exact match, e.g. https://ops.example.org); none by default. */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || !allowed.has(origin)) {
      // No Access-Control-Allow-* headers: the browser keeps the other site out.
      next();
      return;
    }
    res.vary('Origin');
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
      res.set('Access-Control-Allow-Headers', 'authorization, content-type');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
