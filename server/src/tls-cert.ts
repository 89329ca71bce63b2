// The TLS certificate of the embedded broker's MQTTS listener (and of the HTTP port with HTTPS=1):
// TLS_CERT/TLS_KEY when given, else a self-signed one made on first start into DATA_DIR/tls/
// (cert.pem, key.pem with mode 0600) for localhost and 127.0.0.1, and reused on every later start,
// so a device that was given cert.pem as its CA file keeps trusting the server. One that is about to
// expire is made anew (and the log says so: devices need the new cert.pem).
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { generate as generateCertificate } from 'selfsigned';

export const TLS_DIR = 'tls';
/** A generated certificate is valid this long: 3 years. */
const VALID_DAYS = 3 * 365;
/** ...and is made anew once it has less than this left: 30 days. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate is: what a device gives as its CA file (mosquitto_pub --cafile) when it is self-signed. */
  certFile: string;
  /** SHA-256 fingerprint of the certificate. */
  fingerprint: string;
  /** Made by CityGrid (self-signed) rather than given as TLS_CERT/TLS_KEY. */
  generated: boolean;
  /** The client CA (TLS_CLIENT_CA), read; null without it. */
  clientCa: string | null;
}

export interface TlsFiles { certFile: string | null; keyFile: string | null; clientCaFile: string | null }

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Parses a PEM certificate, or says which file is not one. */
function certificateOf(pem: string, file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${what}: ${file} is not a PEM certificate (${(err as Error).message})`);
  }
}

async function generate(dir: string, logger: Logger): Promise<void> {
  const notBeforeDate = new Date(Date.now() - 60_000); // a minute back: clocks a little behind still accept it
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 86_400_000);
  const pems = await generateCertificate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'CityGrid (self-signed)' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  mkdirSync(dir, { recursive: true });
  // written aside and renamed: a crash half-way leaves the old pair or none, never half a pair
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  writeFileSync(`${keyFile}.tmp`, pems.private, { mode: 0o600 });
  chmodSync(`${keyFile}.tmp`, 0o600); // whatever the umask
  writeFileSync(`${certFile}.tmp`, pems.cert, { mode: 0o644 });
  renameSync(`${keyFile}.tmp`, keyFile);
  renameSync(`${certFile}.tmp`, certFile);
  logger.info({ certFile, fingerprint: pems.fingerprint }, 'made a self-signed TLS certificate for localhost and 127.0.0.1 in %s', dir);
}

/**
 * The certificate and key to serve: the given files, or the self-signed pair in DATA_DIR/tls/ (made
 * on first start, or anew when it expires within 30 days). Throws naming the file that is missing or wrong.
 */
export async function loadTlsMaterial(files: TlsFiles, dataDir: string, logger: Logger): Promise<TlsMaterial> {
  const clientCa = files.clientCaFile ? read(files.clientCaFile, 'TLS_CLIENT_CA') : null;
  if (clientCa !== null) certificateOf(clientCa, files.clientCaFile!, 'TLS_CLIENT_CA');
  if (files.certFile && files.keyFile) {
    const cert = read(files.certFile, 'TLS_CERT');
    const key = read(files.keyFile, 'TLS_KEY');
    const x509 = certificateOf(cert, files.certFile, 'TLS_CERT');
    return { cert, key, certFile: resolve(files.certFile), fingerprint: x509.fingerprint256, generated: false, clientCa };
  }
  const dir = resolve(dataDir, TLS_DIR);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let fresh = !existsSync(certFile) || !existsSync(keyFile);
  if (!fresh) {
    const x509 = certificateOf(read(certFile, 'DATA_DIR/tls'), certFile, 'DATA_DIR/tls');
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) {
      logger.warn({ certFile, validTo: x509.validTo }, 'the self-signed TLS certificate expires soon or has expired: making a new one; devices that trust the old cert.pem need the new one');
      fresh = true;
    }
  }
  if (fresh) await generate(dir, logger);
  const cert = read(certFile, 'DATA_DIR/tls');
  const key = read(keyFile, 'DATA_DIR/tls');
  const x509 = certificateOf(cert, certFile, 'DATA_DIR/tls');
  return { cert, key, certFile, fingerprint: x509.fingerprint256, generated: true, clientCa };
}

/** What the embedded broker's TLS listener is given (broker/src/tls.ts TlsListenerOptions). */
export interface MqttsOptions { port: number; host: string; cert: string; key: string; ca?: string }

export function mqttsOptions(material: TlsMaterial | null, port: number | null, host: string): MqttsOptions | null {
  if (!material || port === null) return null;
  return { port, host, cert: material.cert, key: material.key, ...(material.clientCa ? { ca: material.clientCa } : {}) };
}

/**
 * Starts the embedded broker with TLS, and when the default port (MQTTS_PORT unset: 8883) is taken by
 * another program, again without it, saying so: the demo keeps running on 1883. A port that was set
 * on purpose must be free (the error is thrown, as for MQTT_PORT).
 */
export async function withTlsFallback<T>(tls: MqttsOptions | null, portSet: boolean, logger: Logger, start: (tls: MqttsOptions | null) => Promise<T>): Promise<T> {
  try {
    return await start(tls);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (!tls || portSet || e.code !== 'EADDRINUSE' || e.port !== tls.port) throw err;
    logger.warn({ MQTTS_PORT: tls.port }, 'port %d is in use by another program: MQTT over TLS is OFF for this run (plain MQTT and WebSockets work as usual). Set MQTTS_PORT to a free port (0: any free one), or MQTTS_PORT=off', tls.port);
    return start(null);
  }
}

/** The log lines that tell how to connect over TLS: the port, the CA file, and a mosquitto_pub line to paste. */
export function logTlsHint(logger: Logger, o: { port: number; material: TlsMaterial; devices: readonly { id: string; kind: string }[]; demo: boolean }): void {
  const device = o.devices.find((d) => d.kind === 'water_level') ?? o.devices[0];
  const id = device?.id ?? '<device id>';
  const message = device?.kind === 'water_level' ? `'{"metrics":{"level_cm":12.5}}'` : `'<a reading>'`;
  const password = o.demo ? `demo-${id}` : `'<its secret>'`;
  const cafile = o.material.generated ? ` --cafile ${o.material.certFile}` : '';
  const command = `mosquitto_pub${cafile} -h localhost -p ${o.port} -u ${id} -P ${password} -t city/v1/devices/${id}/telemetry -m ${message}`;
  logger.info(
    { port: o.port, certFile: o.material.certFile, fingerprint: o.material.fingerprint, selfSigned: o.material.generated, clientCertificates: o.material.clientCa !== null },
    o.material.generated
      ? 'MQTT over TLS on port %d with a self-signed certificate; devices trust it with --cafile %s. Try: %s'
      : 'MQTT over TLS on port %d with the certificate %s. Try: %s',
    o.port, o.material.certFile, command,
  );
}
