{{ config(materialized='view') }}
{#- The time spine dbt's semantic layer asks for (one row per day, column date_day): local days
    2000-01-01 (BIZSTATS_MIN_DATETIME's default) to 2054-10-03, 20,000 days. A view: it costs a
    build nothing and holds no data. -#}
with digits as (
    {{- integer_rows(10, 'd') }}
),

day_numbers as (
    select t4.d * 10000 + t3.d * 1000 + t2.d * 100 + t1.d * 10 + t0.d as n
    from digits as t0
    cross join digits as t1
    cross join digits as t2
    cross join digits as t3
    cross join digits as t4
    where t4.d < 2
)

select {{ add_days(date_literal(modules.datetime.date(2000, 1, 1)), "day_numbers.n") }} as date_day
from day_numbers
