export { batchWrites, createBroker, type BrokerOptions, type CityBroker } from './broker.js';
export type { BusSink, DeviceDirectory, DeviceEntry, BrokerStats, EdgeRefusal } from './context.js';
export { Acceptor, MAX_STAMP_LEAD_MS, messageKey, type AcceptDevice } from './accept.js';
export { EDGE_REFUSALS } from './context.js';
export { DEFAULT_LIMITS, MAX_PACKET_BYTES, MAX_PREAUTH_BYTES, type BrokerLimits, type BrokerLimitsInput } from './limits.js';
export { hashSecret, verifySecret } from './secrets.js';
export { BROKER_LIMITS_ENV, SERVICE_USERNAME_DEFAULT, limitsFromEnv } from './config.js';
export { BUS_ENV, busFromEnv } from './config.js';
export { BUS_DUPLICATE_WINDOW_MS, JetStreamEdge, NOTIFY_SUBJECT, busMessageId, connectBus, ensureStream, type BusStreamOptions } from './bus/jetstream.js';
