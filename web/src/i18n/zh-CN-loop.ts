// Simplified Chinese for the closed loop: dispatch, verification, resolve deadlines and an alert's timeline (merged into zh-CN.ts).
export const zhCNLoop = {
  loop: {
    dispatch: '派遣',
    dispatchTo: '派遣给',
    dispatchPick: '输入姓名、用户名、网格或部门查找',
    dispatchNote: '派遣说明（可选）',
    dispatchConfirm: '确认派遣',
    dispatchUnknown: '请从列表中选择一个人',
    dispatched: '已派遣给 {name}',
    verify: '核查结案',
    verifyNote: '核查说明（可选）',
    verifyConfirm: '确认结案',
    sendBack: '退回',
    sendBackNote: '退回原因（必填）：还需要做什么？',
    sendBackConfirm: '确认退回',
    handledBy: '{user} 已处置，待核查',
    resolveIn: '{t} 内处置',
    resolveOverdue: '处置超时 {t}',
    department: '部门：{name}',
    failed: '{action}失败：{message}',
    timeline: '处置过程',
    openAlert: '查看告警详情',
  },
  alertEvent: {
    pending: '待触发', firing: '触发', updated: '更新', acknowledged: '签收', resolved: '结案', escalated: '升级', suppressed: '维护中，暂停通知',
    unsuppressed: '恢复通知', grouped: '归并为综合事件', reopened: '重新打开', dispatched: '派遣', handled: '处置完成', verified: '核查结案', sent_back: '退回',
  },
};
