// `npm start`: build what is missing, then run the embedded mode (broker + server + dashboard +
// demo city simulator) in this one process. SIMULATE defaults to 1 here and to 0 everywhere else, and
// HOST / MQTT_HOST to 127.0.0.1 (everywhere else 0.0.0.0).
import { register } from 'tsx/esm/api';
import { buildWeb, webIsCurrent } from './build-web.mjs';

if (!webIsCurrent() && !buildWeb()) {
  console.error('The dashboard failed to build; the server will start without it (see the errors above).');
}
process.env.SIMULATE ??= '1';
// the demo city's passwords are public: on this machine only, unless asked (README: Run the demo city)
process.env.HOST ??= '127.0.0.1';
process.env.MQTT_HOST ??= '127.0.0.1';
register();
await import('../server/src/main.ts');
