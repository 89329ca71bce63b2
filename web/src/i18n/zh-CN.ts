// Simplified Chinese: the reference message set (en.ts must have the same keys).
import { METRIC_NAME } from '@citygrid/contract';
import { zhCNLoop } from './zh-CN-loop';
import { zhCNCellWall } from './zh-CN-cellwall';
import { zhCNOps } from './zh-CN-ops';
import { zhCNReplay } from './zh-CN-replay';
import { zhCNReach } from './zh-CN-reach';
import { zhCNHistory } from './zh-CN-history';
import { zhCNPublic } from './zh-CN-public';
import { zhCNReport } from './zh-CN-report';
import { zhCNPeople } from './zh-CN-people';
import { zhCNDevice } from './zh-CN-device';
import { zhCNProvisioning } from './zh-CN-provisioning';

const zhCN = {
  ...zhCNOps,
  ...zhCNLoop,
  ...zhCNCellWall,
  ...zhCNReplay,
  ...zhCNReach,
  ...zhCNHistory,
  ...zhCNPublic,
  ...zhCNReport,
  ...zhCNPeople,
  ...zhCNDevice,
  ...zhCNProvisioning,
  app: {
    title: '城市网格运行监测',
    product: 'CityGrid 网格化管理',
  },
  lang: { switch: 'EN', switchTitle: 'Switch to English' },
  connection: { live: '实时', reconnecting: '重连中', connecting: '连接中' },
  kpi: {
    online: '在线设备',
    activeAlerts: '活动告警',
    alertsByColour: '红 {red} · 橙 {orange} · 黄 {yellow} · 蓝 {blue}',
    ingest: '接入速率',
    perSecond: '条/秒',
    rejectedPerS: '拒收 {n} 条/秒',
    cells: '异常网格',
    cellsDetail: '告警 {alarm} · 预警 {warn}',
    overdue: '超时未签收',
    overdueSub: '超过签收时限',
  },
  condition: { ok: '正常', warn: '预警', alarm: '告警', offline: '离线', none: '无设备' },
  kind: {
    air_quality: '空气质量', noise: '噪声', water_level: '积水水位', rainfall: '降雨量',
    traffic: '交通流量', manhole_cover: '智能井盖', gas: '燃气泄漏', streetlight: '智慧路灯',
    waste_bin: '垃圾满溢', bridge: '桥梁结构', weather: '气象', camera: 'AI 摄像头',
  },
  // metric names live in the contract (the alert texts' catalogue uses them too)
  metric: METRIC_NAME['zh-CN'],
  bool: {
    yes: '是', no: '否',
    open: { true: '开启', false: '闭合' },
    on: { true: '亮', false: '灭' },
  },
  map: {
    title: '网格态势',
    devices: '设备',
    online: '在线 {online} / {total}',
    alarmWarn: '告警 {alarm} · 预警 {warn}',
    district: '区',
    hint: '点击网格筛选设备，点击设备查看详情，滚轮缩放',
    waiting: '等待网格数据…',
    reset: '复位',
    legendAlerts: '告警',
    legendDevices: '设备',
  },
  devices: {
    title: '设备列表',
    search: '搜索设备编号',
    allKinds: '全部类型',
    allDistricts: '全部辖区',
    allConditions: '全部状态',
    cell: '网格：{name}',
    clear: '清除筛选',
    count: '{shown} / {total} 台',
    empty: '没有符合条件的设备',
    loading: '正在加载设备…',
    col: { device: '设备', kind: '类型', cell: '网格', values: '最新读数', age: '更新' },
    online: '在线',
    offline: '离线',
    never: '未上报',
  },
  detail: {
    close: '关闭',
    kind: '类型',
    cell: '网格',
    district: '辖区',
    status: '状态',
    lastSeen: '最后上报',
    location: '位置',
    latest: '最新读数',
    history: '历史曲线',
    range: { '1h': '1 小时', '24h': '24 小时', '7d': '7 天' },
    noMetrics: '该设备不上报数值指标，摄像头事件将在告警模块中展示。',
    notFound: '找不到设备 {id}',
    loading: '加载中…',
    noData: '该时段没有数据',
    mean: '均值',
    min: '最小',
    max: '最大',
    value: '读数',
    warn: '预警线',
    alarm: '告警线',
    forecast: '预测：约{min}分钟后达到{value}',
  },
  rejections: {
    title: '拒收消息',
    hint: '接入传感器时在此查看消息被拒收的原因',
    total: '累计 {n} 条',
    empty: '暂无拒收消息',
    unknownDevice: '未知设备',
    by: { broker: '代理', server: '服务端' },
  },
  reason: {
    unknown_device: '设备未登记',
    bad_credentials: '设备密码错误',
    foreign_topic: '越权主题',
    foreign_child: '非本网关子设备',
    device_disabled: '设备已停用',
    topic_invalid: '主题格式错误',
    payload_too_large: '消息超过 64 KiB',
    rate_limited: '超出消息频率限额',
    client_id_taken: '客户端 ID 已被占用',
    malformed_json: 'JSON 格式错误',
    schema_invalid: '消息结构不符',
    unknown_property: '含未约定字段',
    wrong_channel: '通道不匹配',
    unknown_metric: '未知指标',
    wrong_type: '数值类型错误',
    out_of_range: '数值超出合理范围',
    ts_in_future: '时间戳超前',
    ts_invalid: '时间戳无效',
    batch_too_large: '批量超过 500 条',
    status_invalid: '状态值无效',
  },
  error: {
    unreachable: '无法连接服务器',
    unreachableHint: '仪表盘无法访问 CityGrid 服务器（{origin}）。每 5 秒自动重试。',
    retry: '立即重试',
    loadFailed: '加载失败：{message}',
  },
};

export type Messages = typeof zhCN;
export default zhCN;
