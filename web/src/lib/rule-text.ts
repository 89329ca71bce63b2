// Chinese wording of the demo city's alert messages and guidance. The server sends the text from
// rules.yaml; when it is exactly the English below, the dashboard shows the translation in zh-CN.
// Any other text (an edited or a new rule) is shown as the server sent it.
const ZH: Record<string, string> = {
  'Water expected to reach the closing level': '预计水位将达到封闭线',
  'Go to the underpass now, check the drains are clear, and get ready to close it to traffic.': '立即前往下穿通道，检查排水口是否畅通，做好封闭交通的准备。',
  'Flooding at the underpass': '下穿通道积水',
  'Close the underpass to traffic and call the drainage team.': '封闭下穿通道交通，并通知排水队伍。',
  'Water rising fast': '水位快速上涨',
  'Check the drains near the gauge and watch for the forecast warning.': '检查水位计附近的排水口，留意预测预警。',
  'Rainstorm (暴雨) over the cell': '网格内出现暴雨',
  'Check underpasses and low streets in the cell; clear drain grates of leaves and rubbish.': '巡查网格内的下穿通道和低洼路段，清理雨水箅子上的落叶和垃圾。',
  'Gas at an explosive level': '燃气浓度达到爆炸危险水平',
  "Keep people away, no flames or switches, call the gas company's emergency line and 119.": '疏散人员，禁止明火和开关电器，拨打燃气公司抢修电话和 119。',
  'Gas detected': '检测到燃气泄漏',
  'Ventilate if safe, keep people back, and call the gas company to inspect.': '在安全前提下通风，让人员远离，并通知燃气公司检查。',
  'Manhole cover open or displaced': '井盖开启或移位',
  'Put a barrier around it and call the utility that owns it.': '设置围挡，并通知井盖权属单位。',
  'Unusual bridge vibration': '桥梁振动异常',
  'Call the bridge engineer on duty; be ready to close the bridge to heavy vehicles.': '通知值班桥梁工程师，做好禁止重型车辆通行的准备。',
  'Traffic at a standstill': '交通停滞',
  'Look for a stalled vehicle or an accident on the cameras and tell the traffic police.': '通过摄像头查找故障车辆或事故，并通知交警。',
  'Waste bin full': '垃圾桶已满',
  'Ask the sanitation team to empty it on their next round.': '请环卫班组下一轮清运时清空。',
  'Heat (高温)': '高温',
  'Check on street vendors and outdoor workers; open the cooling points.': '关注街头摊贩和户外作业人员，开放避暑纳凉点。',
  'Unusual noise': '噪声异常',
  'Look for construction outside permitted hours or a gathering; note what you find.': '排查是否有超时施工或人员聚集，并记录发现的情况。',
  'Gas sensor silent': '燃气传感器失联',
  "Check the sensor's power and signal; gas is not being watched here until it is back.": '检查传感器供电和信号；恢复前此处燃气处于无监测状态。',
  'Water gauge silent': '水位计失联',
  'Check the gauge; floods in this underpass are not being watched until it is back.': '检查水位计；恢复前此下穿通道的积水处于无监测状态。',
  'Air sensor stuck': '空气质量传感器读数停滞',
  'The PM2.5 reading has not changed for 2 hours; ask maintenance to clean or replace the sensor.': 'PM2.5 读数已 2 小时未变化，请运维人员清洁或更换传感器。',
  'Smoke or fire seen by a camera': '摄像头发现烟雾或明火',
  'Go and look; if it is a fire call 119 at once and keep people away.': '立即前往查看；如确认起火，马上拨打 119 并疏散人员。',
  'Illegal parking hotspot': '违停高发',
  'Ask the traffic wardens to pass by; fire lanes first.': '请交通协管员前往巡查，优先处理消防通道。',
  'Crowd building up': '人群正在聚集',
  'Go and watch the crowd; call the police station if it keeps growing or blocks the road.': '前往现场观察；如人群持续增多或堵塞道路，联系派出所。',
  'Vehicle stranded in flood water': '车辆被困积水',
  "Close the road, send help to the vehicle's occupants, and call 119 and the drainage team.": '封闭道路，救助车内人员，并拨打 119、通知排水队伍。',
};

/** The server's text in the user's language when we know it, else as sent. */
export function ruleText(text: string, locale: string): string {
  return locale === 'zh-CN' ? ZH[text] ?? text : text;
}

/** The server writes "<rule message>: <specific detail>"; the two parts, for a headline and a detail line. */
export function splitMessage(message: string): { headline: string; detail: string | null } {
  const at = message.indexOf(': ');
  if (at <= 0) return { headline: message, detail: null };
  return { headline: message.slice(0, at), detail: message.slice(at + 2) || null };
}
