// The dashboard's own words in Chinese and English. Metric names, units and definitions are
// not here: they come from the metric catalogue (GET /api/metrics, i.e. the dbt project).
window.BIZSTATS_I18N = {
  zh: {
    title: "业务统计看板", start: "开始", end: "结束", grain: "粒度", daily: "日", weekly: "周",
    monthly: "月", channel: "渠道", device_type: "设备", metric: "指标", csv: "下载 CSV",
    need_key: "请输入查询 API 密钥（bizstats keys create --name 名称）", save_key: "保存",
    kpis: "当日指标", trend: "趋势", realtime: "今日实时", quality: "数据质量",
    split: "渠道 × 设备", user_types: "新老用户", funnel: "业务漏斗", cumulative: "累计指标",
    vs_prev: "较前一日", vs_week: "较上周同日", new: "新用户", old: "老用户",
    no_realtime: "暂无实时计数", updated: "更新于", last_build: "最近构建",
    last_built_day: "最新数据日", error_rate: "交叉校验误差率", alerts: "24 小时告警",
    no_alerts: "无告警", not_yet: "尚无数据", seconds: "秒", dimension: "维度", value: "取值",
    count: "数量", amount: "金额", success: "成功", failed: "失败", monitors: "监控",
    delay: "数据延迟",
  },
  en: {
    title: "Business statistics", start: "Start", end: "End", grain: "Granularity", daily: "Day",
    weekly: "Week", monthly: "Month", channel: "Channel", device_type: "Device", metric: "Metric",
    csv: "Download CSV", need_key: "Enter a query API key (bizstats keys create --name NAME)",
    save_key: "Save", kpis: "Key figures of", trend: "Trend", realtime: "Today, real time",
    quality: "Data quality", split: "Channel × device", user_types: "New vs old users",
    funnel: "Business funnel", cumulative: "Cumulative totals", vs_prev: "vs previous day",
    vs_week: "vs same day last week", new: "New users", old: "Old users",
    no_realtime: "No real-time counters", updated: "Updated", last_build: "Last build",
    last_built_day: "Newest day built", error_rate: "Cross-check error rate",
    alerts: "Alerts, last 24 h", no_alerts: "No alerts", not_yet: "No data yet", seconds: "s",
    dimension: "Dimension", value: "Value", count: "Count", amount: "Amount", success: "success",
    failed: "failed", monitors: "Monitors", delay: "Data delay",
  },
};
