// One registry of the REST API's error answers: every error body (`{"error": {"code", "message"}}`)
// the server sends has its code and status from here, and the message from its template (printf-style,
// filled in by the server). The dashboard compares codes against it; the API description lists it.
export interface ErrorSpec { code: `CG_${string}`; status: number; template: string }

export const ERRORS = {
  NOT_FOUND: { code: 'CG_NOT_FOUND', status: 404, template: 'No such endpoint: %s %s' },
  DEVICE_NOT_FOUND: { code: 'CG_DEVICE_NOT_FOUND', status: 404, template: 'No device with id "%s"' },
  GRID_NOT_FOUND: { code: 'CG_GRID_NOT_FOUND', status: 404, template: 'No grid cell with id "%s"' },
  QUERY_INVALID: { code: 'CG_QUERY_INVALID', status: 400, template: 'Invalid query parameter %s: %s' },
  /** A read bigger than the API serves in one request (range, rows, buckets, metrics): the message names the limit. */
  LIMIT_EXCEEDED: { code: 'CG_LIMIT_EXCEEDED', status: 400, template: 'Too much for one request: %s' },
  METRIC_UNKNOWN: { code: 'CG_METRIC_UNKNOWN', status: 400, template: 'Device %s (%s) has no metric "%s"; it has: %s' },
  BODY_INVALID: { code: 'CG_BODY_INVALID', status: 400, template: 'Request body is not valid JSON: %s' },
  BODY_TOO_LARGE: { code: 'CG_BODY_TOO_LARGE', status: 413, template: 'Request body is larger than the %s the API accepts' },
  STORE_UNAVAILABLE: { code: 'CG_STORE_UNAVAILABLE', status: 503, template: 'The time-series store is unavailable: %s' },
  ALERT_NOT_FOUND: { code: 'CG_ALERT_NOT_FOUND', status: 404, template: 'No alert with id "%s"' },
  ALERT_RESOLVED: { code: 'CG_ALERT_RESOLVED', status: 409, template: 'Alert %s is already resolved' },
  NOTE_REQUIRED: { code: 'CG_NOTE_REQUIRED', status: 400, template: 'A note is required: %s' },
  ALERT_NOT_HANDLED: { code: 'CG_ALERT_NOT_HANDLED', status: 409, template: '%s' },
  DISPATCH_INVALID: { code: 'CG_DISPATCH_INVALID', status: 400, template: 'Cannot dispatch: %s' },
  /** Cluster mode: the replica that owns the alert's cell did not confirm the action in time (it is applied when it does). */
  ALERT_ACTION_PENDING: { code: 'CG_ALERT_ACTION_PENDING', status: 503, template: '%s' },
  MAINTENANCE_INVALID: { code: 'CG_MAINTENANCE_INVALID', status: 400, template: 'Invalid maintenance window: %s' },
  MAINTENANCE_NOT_FOUND: { code: 'CG_MAINTENANCE_NOT_FOUND', status: 404, template: 'No active maintenance window with id "%s"' },
  RULES_INVALID: { code: 'CG_RULES_INVALID', status: 422, template: 'rules.yaml was refused; the last good rules stay active: %s' },
  LOGIN_INVALID: { code: 'CG_LOGIN_INVALID', status: 400, template: 'Sign-in needs {"username": "...", "password": "..."}: %s' },
  BAD_CREDENTIALS: { code: 'CG_BAD_CREDENTIALS', status: 401, template: 'Wrong username or password' },
  UNAUTHENTICATED: { code: 'CG_UNAUTHENTICATED', status: 401, template: '%s' },
  FORBIDDEN: { code: 'CG_FORBIDDEN', status: 403, template: '%s' },
  TOO_MANY_ATTEMPTS: { code: 'CG_TOO_MANY_ATTEMPTS', status: 429, template: 'Too many failed sign-in attempts; try again in %d s' },
  /** The password checks' queue is full (auth/bcrypt-pool.ts): a Retry-After says when to try again. */
  SIGNIN_BUSY: { code: 'CG_SIGNIN_BUSY', status: 503, template: 'Too many sign-ins are being checked right now; try again in %d s' },
  /** Cluster mode: the shared sign-in limits (in Redis) cannot be checked, so no password is. */
  SIGNIN_UNAVAILABLE: { code: 'CG_SIGNIN_UNAVAILABLE', status: 503, template: 'Sign-in is unavailable: %s; try again in %d s' },
  /** An unsafe method signed in by the session cookie, not from the dashboard's own pages (auth/csrf.ts). */
  CROSS_SITE_REQUEST: { code: 'CG_CROSS_SITE_REQUEST', status: 403, template: 'Refused %s: a write signed in by the session cookie must come from this server\'s own pages; it %s. Scripts: send Authorization: Bearer <token> instead of the cookie' },
  /** Too many CSV exports being written at once (for this user, or for the server): a Retry-After says when to try again. */
  EXPORT_BUSY: { code: 'CG_EXPORT_BUSY', status: 429, template: '%s' },
  /** Open data (GET /api/open/...): a date that is not a real UTC day written YYYY-MM-DD. */
  OPEN_DATE_INVALID: { code: 'CG_OPEN_DATE_INVALID', status: 400, template: 'Invalid date "%s": %s' },
  /** Open data: a real day, but one the open data does not cover (in the future, or past the retention period). */
  OPEN_DATE_OUT_OF_RANGE: { code: 'CG_OPEN_DATE_OUT_OF_RANGE', status: 400, template: 'No open data for %s: %s' },
  /** Open data: too many requests from one address (or the server is busy computing open data); a Retry-After says when to try again. */
  OPEN_RATE_LIMITED: { code: 'CG_OPEN_RATE_LIMITED', status: 429, template: '%s' },
  /** Residents' reports (POST /api/public/reports): a field that is missing or wrong. */
  REPORT_INVALID: { code: 'CG_REPORT_INVALID', status: 400, template: 'Invalid report: %s' },
  /** Residents' reports: the proof-of-work challenge is missing, forged, expired, unsolved or already used. */
  REPORT_CHALLENGE: { code: 'CG_REPORT_CHALLENGE', status: 400, template: 'Report refused: %s' },
  /** Residents' reports: too many from this address or for this cell; a Retry-After says when to try again. */
  REPORT_RATE_LIMITED: { code: 'CG_REPORT_RATE_LIMITED', status: 429, template: '%s' },
  /** Residents' reports: no report with this receipt (or a malformed receipt). */
  REPORT_NOT_FOUND: { code: 'CG_REPORT_NOT_FOUND', status: 404, template: 'No report with receipt "%s"' },
  /** Residents' reports are not taken on this server (REPORTS=0). */
  REPORTS_OFF: { code: 'CG_REPORTS_OFF', status: 404, template: 'This city does not take residents\' reports here (REPORTS=0)' },
  /** People administration (issue 18): a field of a person that is missing or wrong (names the field). */
  PERSON_INVALID: { code: 'CG_PERSON_INVALID', status: 400, template: 'Invalid person: %s' },
  PERSON_NOT_FOUND: { code: 'CG_PERSON_NOT_FOUND', status: 404, template: 'No person "%s" in people.yaml' },
  PERSON_EXISTS: { code: 'CG_PERSON_EXISTS', status: 409, template: 'There is already a person "%s" in people.yaml' },
  /** The change would leave the city without an enabled admin. */
  LAST_ADMIN: { code: 'CG_LAST_ADMIN', status: 409, template: '%s is the last enabled admin: make another admin first' },
  /** people.yaml on disk was edited by hand and is refused: no change is written over it until it is fixed. */
  PEOPLE_FILE_REFUSED: { code: 'CG_PEOPLE_FILE_REFUSED', status: 409, template: 'people.yaml on disk was changed and is refused (%s); fix it first: the last good people stay active' },
  /** people.yaml could not be written (disk full, read-only folder): nothing changed. */
  PEOPLE_FILE_UNWRITABLE: { code: 'CG_PEOPLE_FILE_UNWRITABLE', status: 503, template: 'people.yaml could not be written; nothing changed: %s' },
  /** A new password that is too short or too easy to guess (the message says which rule). */
  PASSWORD_WEAK: { code: 'CG_PASSWORD_WEAK', status: 400, template: 'The new password is refused: %s' },
  /** POST /api/auth/password: a missing field, or the current password is wrong. */
  PASSWORD_CHANGE_INVALID: { code: 'CG_PASSWORD_CHANGE_INVALID', status: 400, template: 'Password not changed: %s' },
  /** Device provisioning (issue 18): a device that the city's rules refuse (field, grid, location). */
  DEVICE_INVALID: { code: 'CG_DEVICE_INVALID', status: 400, template: 'Invalid device: %s' },
  DEVICE_EXISTS: { code: 'CG_DEVICE_EXISTS', status: 409, template: 'A device with id "%s" already exists' },
  /** A CSV import with problems: nothing was applied; the message names every line (a dry run lists them without this error). */
  DEVICES_IMPORT_INVALID: { code: 'CG_DEVICES_IMPORT_INVALID', status: 422, template: 'Nothing was imported: %s' },
  /** devices.yaml could not be written (disk full, permissions): nothing changed. */
  DEVICES_FILE_FAILED: { code: 'CG_DEVICES_FILE_FAILED', status: 503, template: 'devices.yaml could not be written, so nothing changed: %s' },
  /** Cluster mode: devices are provisioned by editing devices.yaml on every node (not through the API yet). */
  DEVICES_READ_ONLY: { code: 'CG_DEVICES_READ_ONLY', status: 409, template: '%s' },
  /** A device's test reading (issue 18) is not possible here: no embedded broker (MQTT_URL, cluster mode), or a camera. */
  TEST_READING_UNAVAILABLE: { code: 'CG_TEST_READING_UNAVAILABLE', status: 409, template: '%s' },
  /** Too many test readings from one user; a Retry-After says when to try again. */
  TEST_READING_RATE_LIMITED: { code: 'CG_TEST_READING_RATE_LIMITED', status: 429, template: 'Too many test readings; try again in %d s' },
  /** Any other 4xx a library raised (the message is its own). */
  BAD_REQUEST: { code: 'CG_BAD_REQUEST', status: 400, template: '%s' },
  INTERNAL: { code: 'CG_INTERNAL', status: 500, template: 'Internal error; it has been logged' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;
export type ErrorCode = (typeof ERRORS)[ErrorName]['code'];
