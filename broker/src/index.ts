export { batchWrites, createBroker, type BrokerOptions, type CityBroker } from './broker.js';
export type { DeviceDirectory, DeviceEntry, BrokerStats } from './context.js';
export { hashSecret, verifySecret } from './secrets.js';
export { SERVICE_USERNAME_DEFAULT } from './config.js';
