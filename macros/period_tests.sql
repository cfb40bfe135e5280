{#- Body of the singular tests weekly_stats_match_daily_stats and
    monthly_stats_match_daily_stats (`period`: 'week' or 'month'), for every period that
    overlaps the build range and every slice:
      - as_of_date / days_covered are the last day and the number of days of the period up
        to the end of the build range (int_calendar);
      - additive metrics (pv, the first-ever counts, credit_order_count, member_deduction)
        equal the sum of daily_stats over the period's days up to as_of_date — checked when
        daily_stats holds all those days (a first build that starts mid-period has not built
        the earlier days);
      - uv is recomputed, never summed: at least the uv of each day, at most their sum;
      - history_member_deduction and total_deduction equal the daily values at as_of_date.
    Days are mapped to their period through int_calendar. One failing row per (row, check). -#}
{% macro period_stats_match_daily(period) -%}
{%- set r = build_range() %}
{%- set start_col = period ~ '_start' %}
{#- period column -> daily_stats column -#}
{%- set additive = {
    'pv': 'pv',
    'real_name_count': 'real_name_count',
    'bind_card_count': 'bind_card_count',
    'new_member_count': 'new_member_count',
    'credit_order_count': 'credit_order_count',
    'member_deduction': 'daily_member_deduction',
} %}

with

periods as (
    select p.*
    from {{ ref(period ~ 'ly_stats') }} as p
    where
        p.as_of_date >= {{ date_literal(r.start) }}
        and p.{{ start_col }} <= {{ date_literal(r.end) }}
),

calendar_days as (
    select
        cal.{{ start_col }} as period_start,
        count(*) as n_days,
        max(cal.stat_date) as last_day
    from {{ ref('int_calendar') }} as cal
    where cal.stat_date <= {{ date_literal(r.end) }}
    group by cal.{{ start_col }}
),

daily_sums as (
    select
        p.{{ start_col }} as period_start,
        p.channel,
        p.device_type,
        count(*) as days_found,
        max(ds.uv) as max_uv,
        sum(ds.uv) as sum_uv,
        {%- for period_col, daily_col in additive.items() %}
        sum(ds.{{ daily_col }}) as {{ period_col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from periods as p
    inner join {{ ref('int_calendar') }} as cal
        on p.{{ start_col }} = cal.{{ start_col }} and p.as_of_date >= cal.stat_date
    inner join {{ ref('daily_stats') }} as ds
        on cal.stat_date = ds.stat_date and p.channel = ds.channel and p.device_type = ds.device_type
    group by p.{{ start_col }}, p.channel, p.device_type
),

as_of_values as (
    select
        p.{{ start_col }} as period_start,
        p.channel,
        p.device_type,
        ds.history_member_deduction,
        ds.total_deduction
    from periods as p
    inner join {{ ref('daily_stats') }} as ds
        on p.as_of_date = ds.stat_date and p.channel = ds.channel and p.device_type = ds.device_type
)

select
    'as_of_date / days_covered' as failed_check,
    p.{{ start_col }} as period_start,
    p.channel,
    p.device_type,
    cast(p.days_covered as decimal(18, 2)) as period_value,
    cast(cd.n_days as decimal(18, 2)) as daily_value
from periods as p
left join calendar_days as cd on p.{{ start_col }} = cd.period_start
where cd.period_start is null or p.days_covered <> cd.n_days or p.as_of_date <> cd.last_day

union all

select
    'uv outside [max, sum] of its days' as failed_check,
    p.{{ start_col }} as period_start,
    p.channel,
    p.device_type,
    cast(p.uv as decimal(18, 2)) as period_value,
    cast(s.sum_uv as decimal(18, 2)) as daily_value
from periods as p
inner join daily_sums as s
    on p.{{ start_col }} = s.period_start and p.channel = s.channel and p.device_type = s.device_type
where p.uv < s.max_uv or (s.days_found = p.days_covered and p.uv > s.sum_uv)

{%- for period_col in additive %}

union all

select
    '{{ period_col }}' as failed_check,
    p.{{ start_col }} as period_start,
    p.channel,
    p.device_type,
    cast(p.{{ period_col }} as decimal(18, 2)) as period_value,
    cast(s.{{ period_col }} as decimal(18, 2)) as daily_value
from periods as p
inner join daily_sums as s
    on p.{{ start_col }} = s.period_start and p.channel = s.channel and p.device_type = s.device_type
where s.days_found = p.days_covered and p.{{ period_col }} <> s.{{ period_col }}
{%- endfor %}

{%- for cumulative_col in ['history_member_deduction', 'total_deduction'] %}

union all

select
    '{{ cumulative_col }} at as_of_date' as failed_check,
    p.{{ start_col }} as period_start,
    p.channel,
    p.device_type,
    cast(p.{{ cumulative_col }} as decimal(18, 2)) as period_value,
    cast(a.{{ cumulative_col }} as decimal(18, 2)) as daily_value
from periods as p
left join as_of_values as a
    on p.{{ start_col }} = a.period_start and p.channel = a.channel and p.device_type = a.device_type
where a.period_start is null or p.{{ cumulative_col }} <> a.{{ cumulative_col }}
{%- endfor %}
{%- endmacro %}
