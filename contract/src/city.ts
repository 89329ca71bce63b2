// Schemas for the city configuration files in CITY_DIR (grid.geojson, devices.yaml, people.yaml).
import { z } from 'zod';
import { DEVICE_KINDS } from './catalogue.js';
import { isZoneName } from './payloads.js';
import { DEVICE_ID_PATTERN, MAX_GATEWAY_CHILDREN } from './topics.js';

const idPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;
const lng = z.number().min(-180).max(180);
const lat = z.number().min(-90).max(90);
const position = z.tuple([lng, lat]);
const ring = z.array(position).min(4, 'a ring needs at least 4 positions (first = last)');

export const gridCellSchema = z.object({
  type: z.literal('Feature'),
  properties: z.object({
    id: z.string().regex(idPattern, 'grid id: lowercase letters, digits and dashes'),
    name: z.string().min(1),
    name_en: z.string().min(1).optional(),
    district: z.string().regex(idPattern, 'district id: lowercase letters, digits and dashes'),
  }).loose(),
  geometry: z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
});
export type GridCellFeature = z.infer<typeof gridCellSchema>;

export const districtSchema = z.object({
  type: z.literal('Feature'),
  properties: z.object({
    id: z.string().regex(idPattern),
    name: z.string().min(1),
    name_en: z.string().min(1).optional(),
  }).loose(),
  geometry: z.union([
    z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
    z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) }),
  ]),
});
export type DistrictFeature = z.infer<typeof districtSchema>;

export const featureCollection = <T extends z.ZodType>(feature: T) =>
  z.object({ type: z.literal('FeatureCollection'), features: z.array(feature) });

/** `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>` */
export const SECRET_HASH_PATTERN = /^scrypt\$\d{1,2}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

export const deviceConfigSchema = z.strictObject({
  id: z.string().regex(DEVICE_ID_PATTERN, 'device id must match [a-z0-9][a-z0-9-]{0,63}'),
  kind: z.enum(DEVICE_KINDS),
  location: position,
  grid: z.string().regex(idPattern).optional(),
  name: z.string().min(1).max(120).optional(),
  secret_hash: z.string().regex(SECRET_HASH_PATTERN, 'secret_hash must be scrypt$logN$r$p$salt$hash (make one with `npm run hash-secret`)'),
  /** Cameras only: the zone names configured in the camera; its events may name only these. */
  zones: z.array(z.string().refine(isZoneName, 'a zone is a-z, 0-9, - and _, starting with a letter, at most 32 characters, no four digits in a row'))
    .min(1).max(64).optional(),
  /** Open data (GET /api/open/devices/:id/hourly.csv): true publishes this device's hourly aggregates
   *  without sign-in. Absent or false: it shows only inside its cell's aggregates. */
  public: z.boolean().optional(),
  /** A gateway: the devices it publishes for (city/v1/gateways/{id}/devices/{child}/...); each child is in devices.yaml, with one gateway at most. */
  children: z.array(z.string().regex(DEVICE_ID_PATTERN, 'a child is a device id')).min(1).max(MAX_GATEWAY_CHILDREN).optional(),
  /** Switched off (by an engineer, or the admin API): its logins and messages are refused until it is enabled again. */
  disabled: z.boolean().optional(),
  /** After a secret rotation: the old secret, still valid until `until` (ISO 8601), so devices in the field can be re-keyed without a gap. */
  previous_secret: z.strictObject({
    secret_hash: z.string().regex(SECRET_HASH_PATTERN, 'secret_hash must be scrypt$logN$r$p$salt$hash'),
    until: z.iso.datetime({ offset: true }),
  }).optional(),
}).refine((d) => d.zones === undefined || d.kind === 'camera', { message: 'only cameras have zones', path: ['zones'] });
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;

export const cityMetaSchema = z.object({
  name: z.string().min(1),
  name_en: z.string().min(1).optional(),
  center: position.optional(),
  /** A demonstration city whose credentials are public: never served beyond loopback unless CITYGRID_DEMO=1. */
  demo: z.boolean().optional(),
}).loose();
export type CityMeta = z.infer<typeof cityMetaSchema>;

export const ROLES = ['viewer', 'operator', 'gridworker', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * How to reach a person when no page is open: chat handles for the group robots' mentions and a mobile
 * for the SMS/voice gateways. Never in an API answer except to admins, never logged. Each handle is
 * checked for the characters its platform allows, which also keeps it inert inside robot markdown
 * (`@id`, `<@id>`, `<at id=id>`).
 */
export const contactsSchema = z.strictObject({
  /** DingTalk userId (钉钉 userid): the robot's `at.atUserIds`. */
  dingtalk: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a DingTalk userId: letters, digits, _ and -, at most 64').optional(),
  /** WeCom userid (企业微信 成员UserID): `mentioned_list` / `<@userid>`. */
  wecom: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_@.-]{0,63}$/, 'a WeCom userid: letters, digits, _ - @ and ., starting with a letter or digit, at most 64').optional(),
  /** Feishu open_id (ou_…) or user_id: `<at id=…>` in the card. */
  feishu: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a Feishu open_id (ou_...) or user_id: letters, digits, _ and -, at most 64').optional(),
  /** E.164 (+447700900123) or a mainland China mobile of 11 digits (13912345678). */
  mobile: z.string().regex(/^(\+[1-9]\d{6,14}|1[3-9]\d{9})$/, 'a mobile: E.164 like +8613912345678, or 11 digits like 13912345678').optional(),
});
export type Contacts = z.infer<typeof contactsSchema>;

export const personSchema = z.strictObject({
  username: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  name: z.string().min(1).max(120),
  role: z.enum(ROLES),
  /** Grid cells this person answers for (grid workers). */
  grids: z.array(z.string()).optional(),
  /** Districts this person supervises. */
  districts: z.array(z.string()).optional(),
  /** A department this person is the duty contact of (e.g. "Drainage"): alerts can be dispatched to them. */
  department: z.string().min(1).max(120).optional(),
  password_hash: z.string().regex(/^\$2[aby]\$\d{2}\$.{53}$/, 'password_hash must be a bcrypt hash'),
  /** Handles to reach this person (webhook mentions, SMS); admins only. */
  contacts: contactsSchema.optional(),
  /** true: may not sign in (their sessions end), and is nobody's assignee; kept for the record. */
  disabled: z.boolean().optional(),
});
export type Person = z.infer<typeof personSchema>;

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 15m, 2h');
export const peopleFileSchema = z.strictObject({
  deadlines: z.strictObject({ red: duration, orange: duration, yellow: duration, blue: duration }).partial().optional(),
  /** How long each colour may take to be handled (defaults: red 2h, orange 8h, yellow 24h, blue 72h). */
  resolve_deadlines: z.strictObject({ red: duration, orange: duration, yellow: duration, blue: duration }).partial().optional(),
  /** The colours a supervisor verifies before they close (default: red and orange). */
  verify: z.array(z.enum(['red', 'orange', 'yellow', 'blue'])).optional(),
  users: z.array(personSchema),
});
export type PeopleFile = z.infer<typeof peopleFileSchema>;
