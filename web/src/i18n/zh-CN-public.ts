// Simplified Chinese for the public city conditions page (no sign-in; merged into zh-CN.ts).
export const zhCNPublic = {
  public: {
    title: '城市运行状况',
    subtitle: '过去一小时各网格的监测状况与各区当前告警，向公众公开，不含任何个人信息。',
    updated: '更新于 {time}（每分钟刷新）',
    window: '统计时段：{from} – {to}',
    mapLabel: '{city}网格状况地图',
    legend: { ok: '正常', warn: '注意', alarm: '异常', none: '无数据' },
    cellTitle: '{cell}（{district}）：{condition}',
    cellsSummary: '{ok} 个网格正常，{warn} 个注意，{alarm} 个异常，{none} 个无数据',
    districts: '各区当前告警',
    district: '区',
    total: '合计',
    noAlerts: '目前没有未处理的告警。',
    licence: '数据按 {licence} 许可开放，署名：{attribution}。',
    openData: '开放数据（CSV、NGSI-LD）',
    signIn: '工作人员登录',
    loading: '正在加载城市状况…',
    failed: '暂时无法加载城市状况：{message}。一分钟后自动重试。',
  },
};
