// Proves device topics are built and parsed in one shape only, and anything else (wrong root, bad id, unknown channel) is refused.
import { describe, expect, it } from 'vitest';
import {
  BROKER_REJECTIONS_TOPIC, DEVICE_CHANNELS, GATEWAY_CHANNELS, SERVER_SUBSCRIPTIONS, allDevicesTopic, allGatewaysTopic, deviceTopic,
  gatewayTopic, isDeviceId, parseAnyDeviceTopic, parseDeviceTopic, parseGatewayTopic,
} from './topics.js';

describe('deviceTopic / parseDeviceTopic', () => {
  it('builds city/v1/devices/{id}/{channel}', () => {
    expect(deviceTopic('aq-0001', 'telemetry')).toBe('city/v1/devices/aq-0001/telemetry');
    expect(allDevicesTopic('status')).toBe('city/v1/devices/+/status');
  });

  it.each(DEVICE_CHANNELS)('round-trips the %s channel', (channel) => {
    for (const id of ['aq-0001', '0', 'cam-12-north', 'a'.repeat(64)]) {
      expect(parseDeviceTopic(deviceTopic(id, channel))).toEqual({ deviceId: id, channel });
    }
  });

  it('refuses a wrong root or version', () => {
    expect(parseDeviceTopic('town/v1/devices/aq-0001/telemetry')).toBeNull();
    expect(parseDeviceTopic('city/v2/devices/aq-0001/telemetry')).toBeNull();
    expect(parseDeviceTopic('city/v1/sensors/aq-0001/telemetry')).toBeNull();
    expect(parseDeviceTopic('/city/v1/devices/aq-0001')).toBeNull();
    expect(parseDeviceTopic(BROKER_REJECTIONS_TOPIC)).toBeNull();
  });

  it('refuses bad device ids: uppercase, longer than 64, leading dash, empty, wildcards, other characters', () => {
    for (const id of ['AQ-0001', 'aq-0001X', 'a'.repeat(65), '-aq', '', '+', '#', 'aq_0001', 'aq.0001', 'aq 1', '网格-1']) {
      expect(parseDeviceTopic(`city/v1/devices/${id}/telemetry`), JSON.stringify(id)).toBeNull();
    }
  });

  it('refuses unknown channels and extra or missing levels', () => {
    expect(parseDeviceTopic('city/v1/devices/aq-0001/events')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001/Telemetry')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001/')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001/telemetry/extra')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001/telemetry/')).toBeNull();
    expect(parseDeviceTopic('city/v1/devices/aq-0001/__proto__')).toBeNull();
    expect(parseDeviceTopic('')).toBeNull();
  });
});

describe('isDeviceId', () => {
  it('accepts [a-z0-9][a-z0-9-]{0,63}', () => {
    for (const id of ['a', '9', 'aq-0001', 'a-', 'x'.repeat(64), `0${'-'.repeat(63)}`]) expect(isDeviceId(id), id).toBe(true);
  });

  it('refuses anything else', () => {
    for (const id of ['', '-a', 'A', 'aQ', 'x'.repeat(65), 'a_b', 'a/b', 'a\n', ' a', 'a ']) expect(isDeviceId(id), JSON.stringify(id)).toBe(false);
  });
});

describe('gatewayTopic / parseGatewayTopic', () => {
  it('builds city/v1/gateways/{gateway}/devices/{child}/{channel} and parses it back', () => {
    expect(gatewayTopic('gw-1', 'wl-2', 'telemetry')).toBe('city/v1/gateways/gw-1/devices/wl-2/telemetry');
    expect(allGatewaysTopic('event')).toBe('city/v1/gateways/+/devices/+/event');
    for (const channel of GATEWAY_CHANNELS) {
      expect(parseGatewayTopic(gatewayTopic('gw-1', 'wl-2', channel))).toEqual({ gatewayId: 'gw-1', deviceId: 'wl-2', channel });
      expect(parseAnyDeviceTopic(gatewayTopic('gw-1', 'wl-2', channel))).toEqual({ gatewayId: 'gw-1', deviceId: 'wl-2', channel });
    }
    expect(parseAnyDeviceTopic(deviceTopic('wl-2', 'status'))).toEqual({ deviceId: 'wl-2', channel: 'status' });
  });

  it('refuses anything else: a rejections channel, bad ids, wrong shape', () => {
    for (const topic of [
      'city/v1/gateways/gw-1/devices/wl-2/rejections', 'city/v1/gateways/GW/devices/wl-2/telemetry', 'city/v1/gateways/gw-1/devices/+/telemetry',
      'city/v1/gateways/gw-1/sensors/wl-2/telemetry', 'city/v1/gateways/gw-1/devices/wl-2/telemetry/x', 'city/v1/gateways/gw-1/devices/wl-2',
      'city/v1/gateways//devices/wl-2/telemetry', 'city/v2/gateways/gw-1/devices/wl-2/telemetry',
    ]) {
      expect(parseGatewayTopic(topic), topic).toBeNull();
      expect(parseAnyDeviceTopic(topic), topic).toBeNull();
    }
  });

  it('is what the server subscribes to besides the devices\' own topics', () => {
    for (const channel of GATEWAY_CHANNELS) expect(SERVER_SUBSCRIPTIONS).toContain(allGatewaysTopic(channel));
  });
});
