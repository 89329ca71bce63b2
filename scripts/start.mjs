// `npm start`: build what is missing, then run the embedded mode (broker + server + dashboard +
// demo city simulator) in this one process. SIMULATE defaults to 1 here and to 0 everywhere else.
import { register } from 'tsx/esm/api';
import { buildWeb, webIsCurrent } from './build-web.mjs';

if (!webIsCurrent() && !buildWeb()) {
  console.error('The dashboard failed to build; the server will start without it (see the errors above).');
}
process.env.SIMULATE ??= '1';
register();
await import('../server/src/main.ts');
