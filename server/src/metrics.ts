// Prometheus metrics for every stage; one registry per running system so tests can run several.
import type { BrokerStats } from '@citygrid/broker';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  const broker: BrokerSource = { stats: null };
  collectDefaultMetrics({ register: registry, prefix: 'citygrid_' });
  const m = {
    registry,
    received: new Counter({ name: 'citygrid_messages_received_total', help: 'MQTT messages received by the server, by channel', labelNames: ['channel'] as const, registers: [registry] }),
    rejected: new Counter({ name: 'citygrid_messages_rejected_total', help: 'Messages refused, by reason and by where (broker or server)', labelNames: ['reason', 'by'] as const, registers: [registry] }),
    duplicates: new Counter({ name: 'citygrid_messages_duplicate_total', help: 'Copies of messages already taken (a QoS 1 message sent again), dropped before store, rules and dashboards, by channel', labelNames: ['channel'] as const, registers: [registry] }),
    readingsAccepted: new Counter({ name: 'citygrid_readings_accepted_total', help: 'Readings that passed validation', registers: [registry] }),
    readingsStored: new Counter({ name: 'citygrid_readings_stored_total', help: 'Readings written durably to the store', registers: [registry] }),
    eventsStored: new Counter({ name: 'citygrid_camera_events_stored_total', help: 'Camera events written to the store', registers: [registry] }),
    storeErrors: new Counter({ name: 'citygrid_store_errors_total', help: 'Failed store writes (retried)', registers: [registry] }),
    storePointsRefused: new Counter({ name: 'citygrid_store_points_refused_total', help: 'Points the database refused as malformed (kept aside, not retried)', registers: [registry] }),
    storePointsDropped: new Counter({ name: 'citygrid_store_points_dropped_total', help: 'Readings dropped because the write spool was full', registers: [registry] }),
    storeSpoolBytes: new Gauge({ name: 'citygrid_store_spool_bytes', help: 'Bytes waiting in the InfluxDB write spool', registers: [registry] }),
    storeSpoolFull: new Gauge({ name: 'citygrid_store_spool_fill_ratio', help: 'Share of the spool cap in use (a warning at 0.8)', registers: [registry] }),
    storeHealthy: new Gauge({ name: 'citygrid_store_healthy', help: '1 when the store accepts writes, 0 while degraded or down', registers: [registry] }),
    storeBuffered: new Gauge({ name: 'citygrid_store_buffered_rows', help: 'Rows waiting to be written', registers: [registry] }),
    pipelineErrors: new Counter({ name: 'citygrid_pipeline_errors_total', help: 'Unexpected errors in a pipeline step', labelNames: ['step'] as const, registers: [registry] }),
    busLag: new Histogram({ name: 'citygrid_bus_lag_seconds', help: 'Cluster mode: an edge receiving a device message to this replica taking it from the stream (once per stream message, its oldest)', buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 5, 30], registers: [registry] }),
    ingestLag: new Histogram({ name: 'citygrid_ingest_lag_seconds', help: 'Reading timestamp to server receipt', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300], registers: [registry] }),
    devicesOnline: new Gauge({ name: 'citygrid_devices_online', help: 'Devices currently online', registers: [registry] }),
    devicesTotal: new Gauge({ name: 'citygrid_devices_total', help: 'Devices configured', registers: [registry] }),
    socketClients: new Gauge({ name: 'citygrid_socket_clients', help: 'Connected Socket.IO clients', registers: [registry] }),
    socketSlowDisconnects: new Counter({ name: 'citygrid_socket_slow_disconnects_total', help: 'Socket.IO clients disconnected because they stopped reading', registers: [registry] }),
    socketEvents: new Counter({ name: 'citygrid_socket_events_total', help: 'Socket.IO events emitted, by event', labelNames: ['event'] as const, registers: [registry] }),
    mqttConnected: new Gauge({ name: 'citygrid_mqtt_connected', help: '1 while the server is connected to the broker', registers: [registry] }),
    alertTransitions: new Counter({ name: 'citygrid_alert_transitions_total', help: 'Alert transitions, by event and severity', labelNames: ['event', 'severity'] as const, registers: [registry] }),
    openRequests: new Counter({ name: 'citygrid_open_requests_total', help: 'Requests to the open data (GET /api/open/..., no sign-in), by endpoint, refused ones included', labelNames: ['endpoint'] as const, registers: [registry] }),
    reports: new Counter({ name: 'citygrid_reports_total', help: 'Residents\' reports (POST /api/public/reports) by outcome: filed, folded (the same report again), invalid, rate_limited, challenge_<why>; by category once known', labelNames: ['outcome', 'category'] as const, registers: [registry] }),
    webhookDeliveries: new Counter({ name: 'citygrid_webhook_deliveries_total', help: 'Webhook deliveries, by target and outcome', labelNames: ['target', 'outcome'] as const, registers: [registry] }),
    brokerClients: new Gauge({ name: 'citygrid_broker_clients', help: 'Clients connected to the embedded broker', registers: [registry] }),
    partitionsOwned: new Gauge({ name: 'citygrid_bus_partitions_owned', help: 'Cluster mode: partitions of the bus this replica holds a lease for and consumes', registers: [registry] }),
    retentionRemoved: new Counter({ name: 'citygrid_retention_removed_total', help: 'What names a person, removed after its retention period (RETAIN_NAMES_DAYS, RETAIN_AUDIT_DAYS), by file and kind (alert events anonymised, notes replaced, maintenance windows anonymised, audit entries removed)', labelNames: ['store', 'kind'] as const, registers: [registry] }),
    partitionsStalled: new Gauge({ name: 'citygrid_bus_partitions_stalled', help: 'Cluster mode: partitions this replica owns but cannot consume now (a JetStream request failed; tried again every few seconds while the lease is held)', registers: [registry] }),
    // the embedded broker's edge (read from its counters at each scrape; absent with MQTT_URL)
    mqttLoginFailures: brokerCounter(registry, broker, 'citygrid_mqtt_login_failures_total', 'MQTT logins refused for their credentials (wrong or missing password, unknown device)', (s) => s.loginFailures),
    mqttLoginsThrottled: brokerCounter(registry, broker, 'citygrid_mqtt_logins_throttled_total', 'MQTT logins refused unchecked because their address was backed off after failed ones', (s) => s.loginsThrottled),
    mqttConnectionsClosed: brokerCounter(registry, broker, 'citygrid_mqtt_connections_closed_total', 'Connections the broker closed at its edge, by reason (packet_too_large, preauth_bytes, auth_timeout, pending_limit, address_rate)', (s) => s.connectionsClosed, 'reason'),
    mqttSessionsEnded: brokerCounter(registry, broker, 'citygrid_mqtt_sessions_ended_total', 'Persistent sessions the broker ended, by reason (evicted: beyond a device\'s cap; expired: idle too long)', (s) => s.sessionsEnded, 'reason'),
    mqttQueueDropped: brokerCounter(registry, broker, 'citygrid_mqtt_queue_dropped_total', 'Messages dropped from session queues over their cap (oldest first)', (s) => s.queueDropped),
    /** Reads the embedded broker's counters into the citygrid_mqtt_* metrics at each scrape. */
    watchBroker(stats: Readonly<BrokerStats>): void {
      broker.stats = stats;
    },
  };
  return m;
}

interface BrokerSource { stats: Readonly<BrokerStats> | null }

/** A counter that follows one of the broker's own counters (a number, or one per label value). */
function brokerCounter(registry: Registry, broker: BrokerSource, name: string, help: string, read: (s: Readonly<BrokerStats>) => number | Readonly<Record<string, number>>, label?: string): Counter<string> {
  const seen = new Map<string, number>();
  return new Counter({
    name, help, labelNames: label ? [label] : [], registers: [registry],
    collect(this: Counter<string>) {
      const stats = broker.stats;
      if (!stats) return;
      const value = read(stats);
      for (const [key, n] of typeof value === 'number' ? [['', value] as const] : Object.entries(value)) {
        const delta = n - (seen.get(key) ?? 0);
        if (delta <= 0) continue;
        seen.set(key, n);
        if (label) this.inc({ [label]: key }, delta);
        else this.inc(delta);
      }
    },
  });
}
export type Metrics = ReturnType<typeof createMetrics>;
