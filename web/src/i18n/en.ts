// English messages: same keys as zh-CN.ts (the type checker enforces it).
import { METRIC_NAME } from '@citygrid/contract';
import { enLoop } from './en-loop';
import { enCellWall } from './en-cellwall';
import { enOps } from './en-ops';
import { enReplay } from './en-replay';
import { enReach } from './en-reach';
import { enHistory } from './en-history';
import { enPublic } from './en-public';
import { enReport } from './en-report';
import { enPeople } from './en-people';
import { enDevice } from './en-device';
import { enProvisioning } from './en-provisioning';
import type { Messages } from './zh-CN';

const en: Messages = {
  ...enOps,
  ...enLoop,
  ...enCellWall,
  ...enReplay,
  ...enReach,
  ...enHistory,
  ...enPublic,
  ...enReport,
  ...enPeople,
  ...enDevice,
  ...enProvisioning,
  app: {
    title: 'City Grid Operations',
    product: 'CityGrid grid management',
  },
  lang: { switch: '中文', switchTitle: '切换到中文' },
  connection: { live: 'Live', reconnecting: 'Reconnecting', connecting: 'Connecting' },
  kpi: {
    online: 'Devices online',
    activeAlerts: 'Active alerts',
    alertsByColour: 'red {red} · orange {orange} · yellow {yellow} · blue {blue}',
    ingest: 'Ingest rate',
    perSecond: 'msg/s',
    rejectedPerS: '{n} rejected/s',
    cells: 'Cells in trouble',
    cellsDetail: '{alarm} alarm · {warn} warning',
    overdue: 'Past deadline',
    overdueSub: 'not acknowledged in time',
  },
  condition: { ok: 'OK', warn: 'Warning', alarm: 'Alarm', offline: 'Offline', none: 'No devices' },
  kind: {
    air_quality: 'Air quality', noise: 'Noise', water_level: 'Water level', rainfall: 'Rainfall',
    traffic: 'Traffic', manhole_cover: 'Manhole cover', gas: 'Gas', streetlight: 'Streetlight',
    waste_bin: 'Waste bin', bridge: 'Bridge', weather: 'Weather', camera: 'AI camera',
  },
  // metric names live in the contract (the alert texts' catalogue uses them too)
  metric: METRIC_NAME['en'],
  bool: {
    yes: 'yes', no: 'no',
    open: { true: 'open', false: 'closed' },
    on: { true: 'on', false: 'off' },
  },
  map: {
    title: 'Grid situation',
    devices: 'Devices',
    online: '{online} / {total} online',
    alarmWarn: '{alarm} alarm · {warn} warning',
    district: 'District',
    hint: 'Click a cell to filter devices, a device for details; scroll to zoom',
    waiting: 'Waiting for grid data…',
    reset: 'Reset',
    legendAlerts: 'Alerts',
    legendDevices: 'Devices',
  },
  devices: {
    title: 'Devices',
    search: 'Search by device id',
    allKinds: 'All kinds',
    allDistricts: 'All districts',
    allConditions: 'All states',
    cell: 'Cell: {name}',
    clear: 'Clear filters',
    count: '{shown} / {total}',
    empty: 'No device matches',
    loading: 'Loading devices…',
    col: { device: 'Device', kind: 'Kind', cell: 'Cell', values: 'Latest', age: 'Updated' },
    online: 'online',
    offline: 'offline',
    never: 'never',
  },
  detail: {
    close: 'Close',
    kind: 'Kind',
    cell: 'Cell',
    district: 'District',
    status: 'Status',
    lastSeen: 'Last seen',
    location: 'Location',
    latest: 'Latest values',
    history: 'History',
    range: { '1h': '1 h', '24h': '24 h', '7d': '7 d' },
    noMetrics: 'This device reports no numeric metrics; camera events will appear with alerts.',
    notFound: 'No device {id}',
    loading: 'Loading…',
    noData: 'No data in this period',
    mean: 'mean',
    min: 'min',
    max: 'max',
    value: 'value',
    warn: 'warning',
    alarm: 'alarm',
    forecast: 'forecast: {value} in ~{min} min',
  },
  rejections: {
    title: 'Rejected messages',
    hint: 'Why messages were refused: check here when plugging in sensors',
    total: '{n} in total',
    empty: 'No rejected messages',
    unknownDevice: 'unknown',
    by: { broker: 'broker', server: 'server' },
  },
  reason: {
    unknown_device: 'Unknown device',
    bad_credentials: 'Bad credentials',
    foreign_topic: 'Foreign topic',
    foreign_child: 'Not this gateway\'s child',
    device_disabled: 'Device disabled',
    topic_invalid: 'Invalid topic',
    payload_too_large: 'Payload over 64 KiB',
    rate_limited: 'Over its message budget',
    client_id_taken: 'Client id used by another',
    malformed_json: 'Malformed JSON',
    schema_invalid: 'Wrong shape',
    unknown_property: 'Unknown property',
    wrong_channel: 'Wrong channel',
    unknown_metric: 'Unknown metric',
    wrong_type: 'Wrong value type',
    out_of_range: 'Out of range',
    ts_in_future: 'Timestamp in future',
    ts_invalid: 'Invalid timestamp',
    batch_too_large: 'Batch over 500',
    status_invalid: 'Invalid status',
  },
  error: {
    unreachable: 'Cannot reach the server',
    unreachableHint: 'The dashboard cannot reach the CityGrid server ({origin}). Retrying every 5 seconds.',
    retry: 'Retry now',
    loadFailed: 'Failed to load: {message}',
  },
};

export default en;
