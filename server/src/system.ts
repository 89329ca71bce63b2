// startSystem(): composes broker (embedded unless MQTT_URL), store, pipeline, HTTP + Socket.IO and,
// with SIMULATE=1, the demo city's simulator; stop() closes them in the safe order.
import { createHash } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connectBus, createBroker, serveMqttOverWebSocket, type CityBroker } from '@citygrid/broker';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { AlertEvent, HealthResponse, Rejection } from '@citygrid/contract';
import { loadCity, refuseDemoExposure, type City } from '@citygrid/contract/node';
import { pino, type Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { buildApp } from './http/app.js';
import { DeviceRegistry } from './live/device-registry.js';
import { DeviceConnections } from './live/device-connections.js';
import type { DeviceActivityDeps } from './http/device-activity.router.js';
import { DeviceProvisioning } from './provisioning/devices.js';
import { RejectionLog } from './live/rejection-log.js';
import { createMetrics } from './metrics.js';
import { LocalBus } from './bus/local-bus.js';
import { NatsBus } from './bus/nats-bus.js';
import { ClusterAlerts } from './bus/cluster-alerts.js';
import { ClusterAudit } from './bus/cluster-audit.js';
import { AlertActionError, applyCommand } from './alerts/alert-manager.js';
import { createPipeline } from './pipeline/index.js';
import { observationsOf, refusalObservation } from './pipeline/evaluate.js';
import { startIngest, type Ingest } from './pipeline/ingest.js';
import { DUPLICATE_WINDOW_MS, RecentMessages } from './pipeline/recent-messages.js';
import { createRealtime } from './realtime/socket-server.js';
import { RedisSocketPlaces } from './realtime/redis-socket-places.js';
import { startAlerting } from './alerts/index.js';
import { localAlertService } from './alerts/service.js';
import { createAuth } from './auth/index.js';
import { PeopleAdmin } from './auth/people-admin.js';
import { RedisLoginLimiter } from './auth/redis-login-limiter.js';
import { RedisSessionStore } from './auth/redis-sessions.js';
import { createNotifier } from './notify/notifier.js';
import { startDemoSimulator, type DemoSimulator } from './simulate.js';
import { DAY_MS, startRetention } from './retention.js';
import { Challenges, MemorySpentChallenges, RedisSpentChallenges } from './reports/challenges.js';
import { ReportIntake } from './reports/intake.js';
import { reportOutcome } from './reports/outcome.js';
import type { ReportObservation } from './rules/types.js';
import { RedisReportStore } from './reports/redis-report-store.js';
import { removedText, REPORTS_FILE, SqliteReportStore, type ReportStore } from './reports/report-store.js';
import { loadSecret } from './auth/tokens.js';
import { createStore } from './stores/index.js';
import { loadTlsMaterial, logTlsHint, mqttsOptions, withTlsFallback } from './tls-cert.js';
import { InfluxStore } from './stores/influx/influx.store.js';
import type { TimeSeriesStore } from './stores/store.js';

export interface RunningSystem {
  city: City;
  httpPort: number;
  /** Port of the embedded broker, or null when connected to MQTT_URL or to the bus (cluster mode). */
  mqttPort: number | null;
  /** The embedded broker's MQTT over TLS port (MQTTS_PORT), or null when TLS is off or there is no embedded broker. */
  mqttsPort: number | null;
  mqttUrl: string;
  store: TimeSeriesStore;
  /** Cluster mode: the bus this replica reads, and its leases. */
  bus: NatsBus | null;
  /** Device provisioning (the admin API, hand edits of devices.yaml); null without the embedded broker. */
  provisioning: DeviceProvisioning | null;
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 60 * 60_000; // 1 hour
/** Cluster mode: how long the alert stream keeps events (the view, scores and alert pages reach back as far). */
const ALERT_STREAM_MAX_AGE_MS = 30 * 86_400_000;
/**
 * Cluster mode, a partition taken over: how much of its stream the rules see again. Windows and hold
 * times up to 30 min carry on exactly; longer baselines (anomaly rules) start from the last 30 min.
 * A partition with more messages than this in that time is replayed from its oldest, and says so.
 */
const REPLAY_MAX_MS = 30 * 60_000;
const REPLAY_MAX_MESSAGES = 200_000;

function listen(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSystem(config: ServerConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningSystem> {
  const startedAt = Date.now();
  const city = loadCity(config.cityDir);
  refuseDemoExposure({
    city, demoAllowed: config.demoAllowed,
    listens: { HOST: config.host, MQTT_HOST: config.mqtt.url || config.bus ? null : config.mqtt.host },
    secrets: { MQTT_PASSWORD: config.mqtt.password, INFLUX_TOKEN: config.influx.token, AUTH_SECRET: config.auth.secret, METRICS_TOKEN: config.auth.metricsToken },
  });
  logger.info({ cells: city.cells.length, devices: city.devices.length, districts: city.districts.length }, 'city loaded from %s', config.cityDir);
  const metrics = createMetrics();
  metrics.devicesTotal.set(city.devices.length);
  const closers: { name: string; close: () => Promise<void> | void }[] = [];

  try {
    // 1. store and live state (the embedded broker comes once the pipeline it feeds is there: 4.)
    let broker: CityBroker | null = null;
    let provisioning: DeviceProvisioning | null = null; // embedded mode only (see http/devices-admin.router.ts)
    let deviceActivity: DeviceActivityDeps | null = null; // embedded mode only: devices' connection history, test readings
    /** Cluster mode: the city-wide alert stream (4.). */
    let clusterAlerts: ClusterAlerts | null = null;
    let stopConsumingFirst: { name: string; close: () => Promise<void> } | null = null;
    const storeLog = logger.child({ stage: 'store' });
    let stored = 0;
    const store = await createStore(config, metrics, logger, (n) => { stored += n; });
    closers.unshift({ name: 'store', close: () => store.close() });
    const registry = new DeviceRegistry(city);
    registry.seed(await store.latest().catch((err: unknown) => {
      storeLog.warn({ err: (err as Error).message }, 'could not read the latest values back from the store; starting without them');
      return [];
    }));
    const rejections = new RejectionLog();

    // 3. sign-in, notifications, HTTP + Socket.IO
    // cluster mode: Redis carries the sign-in sessions and back-off (shared by every replica) and Socket.IO's rooms
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger, closers) : null;
    const auth = createAuth({
      city, dataDir: config.dataDir, secret: config.auth.secret, sessionMaxAgeMs: config.auth.sessionMaxAgeMs,
      ...(redis ? { sessions: await RedisSessionStore.open(redis.pub), signInLimiter: new RedisLoginLimiter(redis.pub) } : {}),
    });
    closers.unshift({ name: 'audit log', close: () => auth.close() });
    // people.yaml at runtime: admin changes written back, hand edits picked up (auth/people-admin.ts)
    const people = new PeopleAdmin({ city, auth, logger });
    closers.unshift({ name: 'people', close: () => people.close() });
    const notifier = createNotifier(city, logger, metrics);
    closers.unshift({ name: 'notifier', close: () => notifier.close() });
    // TLS (tls-cert.ts): the embedded broker's MQTTS port and, with HTTPS=1, the HTTP port; TLS_CERT/TLS_KEY
    // or a self-signed pair made on first start in DATA_DIR/tls/
    const embeddedBroker = !config.bus && !config.mqtt.url;
    const tlsMaterial = (embeddedBroker && config.tls.mqttsPort !== null) || config.tls.https
      ? await loadTlsMaterial(config.tls, config.dataDir, logger.child({ stage: 'tls' })) : null;
    const http: HttpServer = tlsMaterial && config.tls.https ? createHttpsServer({ cert: tlsMaterial.cert, key: tlsMaterial.key }) : createServer();
    const adapter = redis ? createAdapter(redis.pub, redis.sub) : undefined;
    let lastStats = { at: Date.now(), stored: 0, rejected: 0 };
    const realtime = createRealtime(http, {
      city, metrics, logger, auth, corsOrigins: config.corsOrigins, ...(adapter ? { adapter } : {}),
      ...(redis ? { places: new RedisSocketPlaces(redis.pub, { logger }) } : {}), // the per-user socket cap, shared by every replica
      stats: () => {
        const now = Date.now();
        const secs = Math.max(0.001, (now - lastStats.at) / 1000);
        const { online, total } = registry.counts();
        const out = {
          ts: now,
          ingestPerS: Math.round((stored - lastStats.stored) / secs),
          rejectedPerS: Math.round((rejections.count() - lastStats.rejected) / secs),
          devicesOnline: online,
          devicesTotal: total,
          activeAlerts: clusterAlerts?.activeCount() ?? alerting.manager.activeCount(),
        };
        lastStats = { at: now, stored, rejected: rejections.count() };
        return out;
      },
    });

    // 4. alerting, pipeline and ingest
    /** Residents' reports (REPORTS, on by default): an alert closed closes the reports that joined it. */
    let closeReports: ((e: AlertEvent) => void) | null = null;
    let reports: ReportIntake | null = null; // made below, once the bus is there (cluster mode)
    const alerting = startAlerting({
      city, dataDir: config.dataDir, logger,
      onEvent: (e) => {
        metrics.alertTransitions.inc({ event: e.type, severity: e.alert.severity });
        realtime.alert({ event: e.type, actor: e.actor, note: e.note, alert: e.alert });
        notifier.notify({ event: e.type, actor: e.actor, note: e.note, alert: e.alert });
        store.writeAlertEvents?.([e]);
        clusterAlerts?.publish(e); // cluster mode: into the city-wide alert stream
        closeReports?.(e);
      },
    });
    closers.unshift({ name: 'alerting', close: () => alerting.close() });
    let ingest: Ingest | null = null;
    let natsBus: NatsBus | null = null;
    rejections.onRecord((r: Rejection) => {
      metrics.rejected.inc({ reason: r.reason, by: r.by }, r.count ?? 1);
      if (r.by === 'server') (broker ?? ingest ?? natsBus)?.notifyDevice(r); // the broker tells devices of its own refusals itself
      realtime.rejection(r);
      // refusals rules (a misconfigured or flooding device) see every refusal of a known device
      const d = r.device ? city.devicesById.get(r.device) : undefined;
      if (d && !r.preAuth) alerting.manager.observe([refusalObservation(r, d)], Date.now());
    });
    // what the last run took but may not have acknowledged: copies of it are coming
    const recent = new RecentMessages();
    for (const { key, at } of await store.recentMessages?.(Date.now() - DUPLICATE_WINDOW_MS) ?? []) recent.remember(key, at, true);
    const pipeline = createPipeline({ alerts: alerting.manager, registry, store, feed: realtime.feed, metrics, logger, recent }, (r) => rejections.record(r));
    let mqttUrl: string;
    let busConnected = () => true;
    if (config.bus) {
      // cluster mode: devices talk to the edges; this replica consumes the partitions it holds a lease for
      const nc = await connectBus(config.bus.url, `citygrid-server-${process.pid}`, logger.child({ stage: 'bus' }));
      let up = true;
      void (async () => {
        for await (const st of nc.status()) {
          if (st.type === 'disconnect') up = false;
          else if (st.type === 'reconnect') up = true;
        }
      })().catch(() => undefined);
      busConnected = () => up && !nc.isClosed();
      // drained if NATS is there; never waited for long if it is going away too
      closers.unshift({ name: 'bus connection', close: () => Promise.race([nc.drain(), new Promise((r) => setTimeout(r, 2_000).unref())]).catch(() => undefined).then(() => nc.close()) });
      // the leases' renewals on a connection of their own: on the main one, their replies queue behind
      // the partitions' deliveries, and under load (bench:city) a renewal came back after the lease's fence
      const leaseNc = await connectBus(config.bus.url, `citygrid-server-${process.pid}-leases`, logger.child({ stage: 'leases' }));
      closers.unshift({ name: 'lease connection', close: () => leaseNc.close() });
      // the audit log: appended to a stream, which every replica's audit.db takes in whole
      const clusterAudit = new ClusterAudit({ nc, audit: auth.audit, logger, replicas: config.bus.stream.replicas, replicaId: `${process.pid}-${Date.now().toString(36)}`, maxAgeMs: config.retain.auditDays * DAY_MS });
      await clusterAudit.start();
      closers.unshift({ name: 'audit stream', close: () => clusterAudit.close() });
      const alertsView: { current: ClusterAlerts | null } = { current: null };
      natsBus = new NatsBus({
        nc, leaseNc, stream: config.bus.stream, pipeline, store, logger,
        onRefusal: (r) => rejections.record(r),
        // a partition taken over: its open alerts as the stream has them, before its first reading
        beforeConsume: async (p) => {
          if (!await alertsView.current!.caughtUp()) logger.warn({ partition: p }, 'the alert stream was not read to its end within a minute; the partition\'s open alerts are adopted as read so far');
          alerting.manager.adopt(alertsView.current!.openIn(p), Date.now());
        },
        // a resident's report filed through any replica, for a cell this one owns
        onReport: (r) => {
          if (r.spam) return alerting.manager.forgetReport({ type: 'report', ...r });
          const alert = alerting.manager.observeReport({ type: 'report', ...r }, Date.now());
          if (alert) reports?.joined(alert, r.receipt).catch((err: unknown) => logger.error({ err, receipt: r.receipt }, 'a report joined an alert, but the report store could not be told; it stays received'));
        },
        // an operator's action accepted by any replica, for an alert of a cell this one owns
        onCommand: (c) => {
          try {
            applyCommand(alerting.manager, c);
          } catch (err) {
            if (!(err instanceof AlertActionError)) throw err;
            logger.info({ command: c.id, alert: c.alertId, why: err.message }, 'alert command not applied');
          }
        },
        // a partition taken: the rules of its cells start from the last owner's snapshot (saved every
        // 30 s) and see again what it processed after it, or without one its last 30 min
        replay: {
          lookbackMs: () => Math.min(REPLAY_MAX_MS, alerting.manager.lookbackMs()),
          maxMessages: REPLAY_MAX_MESSAGES,
          snapshot: (p) => alerting.manager.snapshot(p),
          begin: (p, snapshot) => {
            const session = alerting.manager.replayer(p, snapshot);
            return {
              feed: (envelope) => {
                if ('r' in envelope) {
                  const d = envelope.r.device ? city.devicesById.get(envelope.r.device) : undefined;
                  if (d && !envelope.r.preAuth) session.feed(envelope.r.ts, [refusalObservation(envelope.r, d)]);
                } else if ('p' in envelope) {
                  session.feedReport(envelope.p.ts, { type: 'report', ...envelope.p });
                } else {
                  const d = city.devicesById.get(envelope.m.device);
                  if (d) session.feed(envelope.m.receivedAt, observationsOf(envelope.m, d));
                  // what the last owner took: a copy of it (in an edge's batch, which JetStream cannot
                  // dedupe) is recognised here as it would have been there
                  if (Date.now() - envelope.m.receivedAt <= DUPLICATE_WINDOW_MS) recent.remember(envelope.m.key, envelope.m.receivedAt, envelope.m.identifiable);
                }
              },
              finish: () => { session.finish(Date.now()); },
            };
          },
        },
        onPartitionsChanged: (owned) => {
          alerting.manager.setPartitions(owned, Date.now());
          metrics.partitionsOwned.set(owned.length);
        },
        onTaken: (receivedAt) => metrics.busLag.observe(Math.max(0, Date.now() - receivedAt) / 1000),
        onStalled: (stalled) => {
          if (!stalled.length) logger.info('every owned partition is consumed again');
          metrics.partitionsStalled.set(stalled.length);
        },
      });
      alerting.manager.setPartitions([], Date.now()); // nothing until a lease is held
      const bus = natsBus;
      const view = new ClusterAlerts({
        nc, logger, replicas: config.bus.stream.replicas, maxAgeMs: ALERT_STREAM_MAX_AGE_MS, replicaId: bus.leases.id,
        onMaintenance: (w) => alerting.manager.putMaintenance(w, Date.now()),
        owns: (p) => bus.leases.owns(p),
        retainNamesDays: config.retain.namesDays,
      });
      alertsView.current = view;
      clusterAlerts = view;
      await view.start(); // reading the city's alerts before any partition is taken
      closers.unshift({ name: 'alert stream', close: () => view.close() });
      await bus.start();
      stopConsumingFirst = { name: 'bus', close: () => bus.close() };
      closers.unshift(stopConsumingFirst); // moved to the front once all is started (see 5.)
      mqttUrl = config.mqtt.url ?? '';
    } else if (!config.mqtt.url) {
      // embedded: the broker hands device messages to the pipeline in-process (LocalBus), and a
      // device's PUBACK leaves only once what it sent is durable in the store
      const bus = new LocalBus({ pipeline, store, onRefusal: (r) => rejections.record(r) });
      const connections = new DeviceConnections(); // each device's connects and disconnects, bounded (the device's page)
      const embedded = await withTlsFallback(mqttsOptions(tlsMaterial, config.tls.mqttsPort, config.mqtt.host), config.tls.mqttsPortSet, logger.child({ stage: 'broker' }), (tls) => createBroker({
        ...(tls ? { tls } : {}), // MQTT over TLS (MQTTS_PORT)
        port: config.mqtt.port, host: config.mqtt.host, devices: city.devicesById,
        service: null, sink: bus, allowAnonymous: config.mqtt.allowAnonymous,
        deviceRate: config.mqtt.deviceRate, limits: config.mqtt.limits,
        logger: logger.child({ stage: 'broker' }),
        onConnection: (e) => connections.record(e),
      }));
      if (embedded.tlsPort !== null) logTlsHint(logger.child({ stage: 'broker' }), { port: embedded.tlsPort, material: tlsMaterial!, devices: city.devices, demo: city.meta.demo === true });
      broker = embedded;
      mqttUrl = `mqtt://127.0.0.1:${embedded.port}`;
      deviceActivity = { connections, testReadings: { broker: embedded, url: mqttUrl } };

      metrics.watchBroker(embedded.stats);
      closers.unshift({ name: 'broker', close: () => embedded.close() });
    } else {
      mqttUrl = config.mqtt.url;
      ingest = await startIngest({
        url: mqttUrl, clientId: config.mqtt.clientId, username: config.mqtt.username, password: config.mqtt.password,
        logger, metrics, pipeline, onBrokerRejection: (r) => rejections.record(r),
        ...(store.durable ? { durable: () => store.durable!() } : {}),
        ...(store.full && store.whenRoom ? { storeFull: () => store.full!(), whenStoreHasRoom: () => store.whenRoom!() } : {}),
      });
      closers.unshift({ name: 'ingest', close: () => ingest!.close() });
    }

    // GET /api/health is open: states and plain reasons picked from a fixed list, never the stores' or
    // rules' own texts (raw driver errors with hosts and ports), nor the broker's URL (MQTT_URL may hold
    // credentials). The stores log their errors as they happen; GET /api/health gives signed-in users
    // more (http/health.router.ts). An unrecognised state gets a generic phrase, never the text itself.
    const health = (): HealthResponse => {
      const storeHealth = store.health();
      // paused on purpose (the store is full): the store's health says why; not a broker outage
      const connected = natsBus ? busConnected() : broker !== null || ingest!.connected() || ingest!.paused();
      const brokerStatus = connected ? 'ok' : 'down';
      const peopleHealth = people.health();
      const devicesHealth = provisioning?.health() ?? null;
      const status = !connected || storeHealth.status === 'down' ? 'down' : storeHealth.status === 'degraded' || peopleHealth.status === 'degraded' || devicesHealth?.status === 'degraded' ? 'degraded' : 'ok';
      const plainStore = (): string | undefined => {
        const raw = storeHealth.detail ?? '';
        if (storeHealth.status === 'down') return 'closed';
        if (!(store instanceof InfluxStore)) return storeHealth.status === 'ok' ? undefined : 'writes are failing; readings are kept in memory and retried (the log has the error)';
        const share = `${Math.round((store.spoolBytes() / config.spoolMaxBytes) * 100)}%`;
        if (storeHealth.status === 'ok') return raw.startsWith("retention is the bucket's setting") ? "retention is the bucket's setting" : undefined;
        const cause = raw.startsWith('InfluxDB refused the token') ? 'InfluxDB refused the token (check INFLUX_TOKEN)'
          : raw.startsWith('InfluxDB has no database') ? `InfluxDB has no database "${config.influx.database}" (create it or set INFLUX_DATABASE)`
            : raw.startsWith('InfluxDB is unreachable') ? 'InfluxDB is unreachable'
              : raw.startsWith('InfluxDB write failed') ? 'InfluxDB refuses writes' : 'InfluxDB is behind';
        if (store.full?.()) {
          return broker ? `${cause}; spool FULL (${share}), so devices' messages are not acknowledged until the spool has room (devices keep them and send them again)`
            : `${cause}; spool FULL (${share}), so the server has stopped taking messages from the broker, which keeps them until the spool has room`;
        }
        if (/: nearly full$/.test(raw)) return `spool nearly full (${share})`;
        return `${cause}; readings are kept in the spool (${share} full) and will be written when it is back`;
      };
      const plainRules = (): HealthResponse['rules'] => {
        const r = alerting.health();
        const d = r.detail ?? '';
        const refused = /^rules\.yaml was refused \(\d+ problems?\); \d+ earlier rules active/.exec(d);
        const detail = refused ? `${refused[0]}; signed-in users see the problem in GET /api/rules`
          : r.status === 'degraded' ? 'rules.yaml was refused; the last good rules stay active'
            : /^(\d+ rules|no rules in rules\.yaml)$/.test(d) ? d : undefined;
        return { status: r.status, ...(detail ? { detail } : {}) };
      };
      const storeDetail = plainStore();
      return {
        status,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        broker: { status: brokerStatus, mode: natsBus ? 'cluster' : broker ? 'embedded' : 'external', connected },
        ...(natsBus ? { cluster: { replica: natsBus.leases.id, partitions: natsBus.owned() } } : {}),
        store: { status: storeHealth.status, kind: store.kind, ...(storeDetail ? { detail: storeDetail } : {}) },
        rules: plainRules(),
        people: { status: peopleHealth.status, ...(peopleHealth.detail ? { detail: peopleHealth.detail } : {}) },
        // the count, or that a hand edit was refused (its problems are in the log and GET /api/admin/devices' health)
        ...(devicesHealth ? { devices: { status: devicesHealth.status, detail: devicesHealth.status === 'ok' ? devicesHealth.detail : 'devices.yaml was edited and refused; the last good devices stay active (the log names the file, entry and field)' } } : {}),
        ingest: { received: pipeline.received(), stored, rejected: rejections.count() },
      };
    };
    // residents' reports (REPORTS, on by default): kept in Redis in cluster mode, else in DATA_DIR/reports.db
    let reportStore: ReportStore | null = null;
    if (config.reports.enabled) {
      reportStore = redis ? new RedisReportStore(redis.pub) : new SqliteReportStore(join(config.dataDir, REPORTS_FILE));
      const opened = reportStore;
      closers.unshift({ name: 'reports', close: () => opened.close() });
      const secret = createHash('sha256').update(`citygrid report challenges\n${loadSecret(config.auth.secret, config.dataDir)}`).digest();
      // to the alert rules: this process's (`npm start`), or over the bus to the cell's owner (cluster mode)
      const bus = natsBus;
      const intake = new ReportIntake({
        city, store: reportStore, counter: metrics.reports,
        route: bus
          ? async ({ type: _type, ...r }: ReportObservation) => { await bus.publishReport(r); return null; }
          : (r: ReportObservation) => alerting.manager.observeReport(r, Date.now()),
        forget: bus
          ? async ({ type: _type, ...r }: ReportObservation) => { await bus.publishReport({ ...r, spam: true }); }
          : (r: ReportObservation) => alerting.manager.forgetReport(r),
        onRouteError: (err: unknown, receipt: string) => logger.error({ err, receipt }, 'a report could not be handed to the alert rules; it stays received'),
        onEvents: (events) => store.writeReports?.(events),
        challenges: new Challenges({ secret, difficulty: config.reports.powBits, spent: redis ? new RedisSpentChallenges(redis.pub) : new MemorySpentChallenges() }),
      });
      reports = intake;
      // the replica that closed it (the owner of its cell, in cluster mode) closes its reports; the
      // history (for the handled note) is the city-wide one in cluster mode
      const histories = clusterAlerts ?? localAlertService(alerting);
      closeReports = (e) => {
        if ((e.type !== 'resolved' && e.type !== 'verified') || !e.alert.reports?.length) return;
        const outcome = reportOutcome(e, histories.history(e.alertId));
        intake.closeFor(e.alertId, outcome, e.ts).catch((err: unknown) => logger.error({ err, alert: e.alertId }, 'the reports of a closed alert could not be closed'));
      };
    }
    // devices added, changed, re-keyed or removed at runtime: through the admin API with the embedded
    // broker; in every mode, devices.yaml edited by hand (or replaced on every node) is picked up
    const devices = new DeviceProvisioning({
      city, registry, broker, logger: logger.child({ stage: 'devices' }),
      onChange: () => metrics.devicesTotal.set(city.devices.length),
    });
    provisioning = devices;
    closers.unshift({ name: 'device provisioning', close: () => devices.close() });
    const app = buildApp({
      city, alerting, registry, store, rejections, health, auth, logger, reports, people, provisioning,
      metricsRegistry: metrics.registry, metricsToken: config.auth.metricsToken, webDist: config.webDist, corsOrigins: config.corsOrigins, trustProxy: config.trustProxy,
      ...(clusterAlerts ? { alertService: clusterAlerts } : {}),
      ...(deviceActivity ? { deviceActivity } : {}),
    });
    http.on('request', app);
    const httpPort = await listen(http, config.port, config.host);
    closers.unshift({ name: 'http', close: () => realtime.close() }); // closes the HTTP server too
    if (broker && config.mqtt.ws) {
      // MQTT over WebSockets at /mqtt on this port (Socket.IO keeps /socket.io/); the client's address as
      // Express sees it (TRUST_PROXY: the forwarded one behind a trusted proxy). Closed before the HTTP
      // server, which waits for its connections.
      const mqttWs = serveMqttOverWebSocket(http, broker, {
        logger: logger.child({ stage: 'broker' }),
        clientAddress: (req) => (Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as { ip?: string }).ip ?? '',
      });
      closers.unshift({ name: 'mqtt over websockets', close: () => mqttWs.close() });
    }

    // 5. gauges, retention
    const gauges = setInterval(() => {
      metrics.devicesOnline.set(registry.counts().online);
      const h = store.health();
      metrics.storeBuffered.set(h.buffered);
      metrics.storeHealthy.set(h.status === 'ok' ? 1 : 0);
      if (store instanceof InfluxStore) {
        metrics.storeSpoolBytes.set(store.spoolBytes());
        metrics.storeSpoolFull.set(store.spoolBytes() / config.spoolMaxBytes);
      }
      if (broker) metrics.brokerClients.set(broker.connectedClients());
    }, 5000);
    gauges.unref();
    const prune = () => store.prune(Date.now() - config.retentionMs).then(
      (n) => n && storeLog.info({ removed: n }, 'retention: removed old rows'),
      (err: unknown) => storeLog.warn({ err }, 'retention prune failed'),
    );
    const pruner = setInterval(prune, PRUNE_EVERY_MS);
    pruner.unref();
    void prune();
    // what names a person: alert actors and notes anonymised, audit entries removed (retention.ts)
    const { namesDays, auditDays } = config.retain;
    const retention = startRetention({
      logger: logger.child({ stage: 'retention' }),
      count: (file, kind, n) => metrics.retentionRemoved.inc({ store: file, kind }, n),
      tasks: [
        {
          name: 'alerts.db',
          start: (now) => () => {
            const r = alerting.log.anonymiseBefore(now - namesDays * DAY_MS, namesDays);
            return { counts: { events: r.anonymised, notes: r.notes, windows: r.windows }, more: r.more };
          },
        },
        ...(reportStore ? [{
          name: 'reports',
          start: (now: number) => {
            const { textDays } = config.reports;
            return async () => {
              const r = await reportStore!.removeTextsBefore(now - textDays * DAY_MS, removedText(textDays), 500);
              return { counts: { report_texts: r.removed }, more: r.more };
            };
          },
        }] : []),
        {
          name: 'audit.db',
          start: (now) => () => {
            const r = auth.audit.pruneBefore(now - auditDays * DAY_MS);
            return { counts: { audit: r.removed }, more: r.more };
          },
        },
      ],
    });
    if (store.kind === 'influx' && config.retentionMs > namesDays * DAY_MS) {
      storeLog.warn({ RETENTION: config.retentionMs / DAY_MS, RETAIN_NAMES_DAYS: namesDays }, 'InfluxDB keeps alert transitions (with their actor and note) for RETENTION, longer than RETAIN_NAMES_DAYS');
    }
    if (config.bus && ALERT_STREAM_MAX_AGE_MS > namesDays * DAY_MS) {
      logger.info({ RETAIN_NAMES_DAYS: namesDays, streamDays: ALERT_STREAM_MAX_AGE_MS / DAY_MS }, 'the alert stream keeps events as written for its max age; replicas serve them without names after RETAIN_NAMES_DAYS');
    }
    closers.unshift({ name: 'timers', close: () => { clearInterval(gauges); clearInterval(pruner); retention.stop(); } });
    // cluster mode: on stopping, the partitions are handed over before anything else, so that the
    // others take them at once, however long the rest (open sockets, HTTP keep-alives) takes
    if (stopConsumingFirst) {
      closers.splice(closers.indexOf(stopConsumingFirst), 1);
      closers.unshift(stopConsumingFirst);
    }

    // 6. the demo city's own devices
    if (config.simulate) {
      const sim: DemoSimulator = await startDemoSimulator({ city, url: mqttUrl, intervalMs: config.simulateIntervalMs, scenario: config.simulateScenario, speed: config.simulateSpeed, logger });
      closers.unshift({ name: 'simulator', close: () => sim.stop() });
    }

    let stopping: Promise<void> | null = null;
    return {
      city, httpPort, mqttPort: broker?.port ?? null, mqttsPort: broker?.tlsPort ?? null, mqttUrl, store, bus: natsBus, provisioning,
      stop: () => (stopping ??= closeAll(closers, logger)),
    };
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
}

/**
 * Two Redis connections (commands and publishing; subscribing) that reconnect by themselves:
 * node-redis subscribes again after a reconnect, so a restarted Redis costs a few seconds of events.
 */
async function connectRedis(url: string, logger: Logger, closers: { name: string; close: () => Promise<void> | void }[]) {
  const log = logger.child({ stage: 'redis' });
  const pub = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(250 * (retries + 1), 2_000), connectTimeout: 5_000 } });
  const sub = pub.duplicate();
  let down = false;
  for (const c of [pub, sub]) {
    c.on('error', (err: Error) => {
      if (!down) log.warn({ err: err.message }, 'Redis unreachable: live events from other replicas wait until it is back');
      down = true;
    });
    c.on('ready', () => {
      if (down) log.info('Redis reachable again');
      down = false;
    });
  }
  // Socket.IO's adapter publishes without waiting or catching: a publish in flight when Redis goes
  // away would reject unhandled and end the process. Lost events are the cost of Redis being down.
  const publish = pub.publish.bind(pub);
  let dropped = 0;
  (pub as unknown as { publish: (...args: Parameters<typeof publish>) => Promise<number> }).publish = (...args) => publish(...args).catch((err: Error) => {
    if (dropped++ % 1000 === 0) log.warn({ err: err.message, dropped }, 'live events not sent to the other replicas: Redis unreachable');
    return 0;
  });
  await Promise.all([pub.connect(), sub.connect()]);
  closers.unshift({ name: 'redis', close: async () => { await Promise.allSettled([pub.quit(), sub.quit()]); } });
  return { pub, sub };
}

async function closeAll(closers: { name: string; close: () => Promise<void> | void }[], logger: Logger): Promise<void> {
  for (const { name, close } of closers) {
    try {
      await close();
    } catch (err) {
      logger.warn({ err, name }, 'error while closing');
    }
  }
}
