"""Operations (运维, issue 8): the scheduled jobs and their record.

- `schedules`: the four jobs (hourly, daily, weekly, monthly), when they run and what days
  each covers;
- `steps`: what one job does, step by step (freshness, build with its tests, checks,
  alerts, report), and `job_alerts` for a failed or slow run;
- `job_runs`: the `job_runs` table (duration and outcome of every run);
- `prefect_server`: the Prefect API a schedule or a one-off run talks to;
- `rebuild`: re-derive a range after a fix, logged in `bizstats_rebuild_log`;
- `daily_report`, `report_chart`, `report_html`, `report_mail`: the daily report.

The Prefect flows themselves are thin, in the project's `flows/` directory.
"""
