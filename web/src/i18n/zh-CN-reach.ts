// Simplified Chinese for the phone view as an installed app (merged into zh-CN.ts).
export const zhCNReach = {
  reach: {
    offlineQueue: '离线 — 显示 {time} 时的待办',
  },
};
