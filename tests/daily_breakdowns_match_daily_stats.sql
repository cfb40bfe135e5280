{#- daily_breakdowns vs daily_stats, days of the build range, every (stat_date, channel,
    device_type), for the registry's dimensions (breakdown_dimension_registry) and metrics:
      - a dimension over a metric's rows (`metric:`) adds up to that metric when it is a
        column of daily_stats: its item_count summed over the values equals a counter, count
        or first_time metric, is at least a unique_counter (items are rows, the metric
        distinct values), and its amount equals a sum metric of the same amount column;
      - two dimensions of the same population (the same metric, or the same source, filter
        and time) count the same items, and the same amount when both sum the same column;
      - a counter, count or sum of daily_stats whose filter is a dimension's own filter plus
        one value of the dimension's column (its source and time the same) equals that
        value's item_count (or amount, for a sum of the dimension's amount column), e.g. the
        successful member deductions against member_deduction_status = success.
    Every value outside the seed list is normalised to `other`, so a value missing from the
    list cannot drop items. One failing row per (row, check). -#}
{#- Severity error: holds for any input (every item has exactly one value and the same date
    and slice as its metric). -#}
{%- set r = build_range() %}
{%- set dimensions = breakdown_dimension_registry() %}
{%- set metrics = mart_metrics('daily_stats') %}
{#- sums of daily_breakdowns per (stat_date, channel, device_type):
      name -> (dimension, dimension_value or none for every value, summed column) -#}
{%- set sums = {} %}
{#- (check, breakdown sum, daily_stats column or none, other breakdown sum or none, at least) -#}
{%- set checks = [] %}
{%- for dimension in dimensions %}
    {%- set population = dimension.population %}
    {%- do sums.update({dimension.name ~ '__count': (dimension.name, none, 'item_count')}) %}
    {%- if dimension.has_amount %}
        {%- do sums.update({dimension.name ~ '__amount': (dimension.name, none, 'amount')}) %}
    {%- endif %}
    {%- for metric in metrics if metric.name == dimension.metric %}
        {%- if metric.kind in ['counter', 'count', 'first_time', 'unique_counter'] %}
            {%- do checks.append((dimension.name ~ ' items vs ' ~ metric.name, dimension.name ~ '__count',
                metric.name, none, metric.kind == 'unique_counter')) %}
        {%- elif metric.kind == 'sum' and dimension.has_amount and population.amount == metric.amount %}
            {%- do checks.append((dimension.name ~ ' amount vs ' ~ metric.name, dimension.name ~ '__amount',
                metric.name, none, false)) %}
        {%- endif %}
    {%- endfor %}
    {%- for other in dimensions[:loop.index0]
        if other.metric == dimension.metric and other.population.source == population.source
        and other.population.filter == population.filter and other.population.time == population.time %}
        {%- do checks.append((dimension.name ~ ' vs ' ~ other.name ~ ' (items)', dimension.name ~ '__count',
            none, other.name ~ '__count', false)) %}
        {%- if dimension.has_amount and other.has_amount and other.population.amount == population.amount %}
            {%- do checks.append((dimension.name ~ ' vs ' ~ other.name ~ ' (amount)', dimension.name ~ '__amount',
                none, other.name ~ '__amount', false)) %}
        {%- endif %}
    {%- endfor %}
    {%- set column = dimension.value[12:] if dimension.value.startswith('source_rows.') else none %}
    {%- if dimension.metric is none and column %}
        {%- for metric in metrics if metric.kind in ['counter', 'count', 'sum']
            and metric.source == population.source and metric.time == population.time
            and column in metric.filter and metric.filter | length == population.filter | length + 1 %}
            {%- set value = metric.filter[column] %}
            {%- set value = value[0] if value is iterable and value is not string and value | length == 1 else value %}
            {%- set others_match = [] %}
            {%- for key, wanted in population.filter.items() if metric.filter.get(key) != wanted %}
                {%- do others_match.append(key) %}
            {%- endfor %}
            {%- if value is string and not others_match %}
                {%- set summed = 'item_count' if metric.kind != 'sum' else
                    ('amount' if dimension.has_amount and population.amount == metric.amount else none) %}
                {%- if summed %}
                    {%- set sum_name = dimension.name ~ '__' ~ summed ~ '_at_' ~ loop.index %}
                    {%- do sums.update({sum_name: (dimension.name, value, summed)}) %}
                    {%- do checks.append((dimension.name ~ ' = ' ~ value ~ ' vs ' ~ metric.name, sum_name,
                        metric.name, none, false)) %}
                {%- endif %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{%- endfor %}

with

breakdown_sums as (
    select
        {%- for name, spec in sums.items() %}
        {%- set dimension, value, column = spec %}
        sum(
            case
                when
                    breakdown_rows.dimension = '{{ dimension }}'
                    {%- if value is not none %} and breakdown_rows.dimension_value = '{{ value | replace("'", "''") }}'{% endif %}
                    then breakdown_rows.{{ column }}
                else 0
            end
        ) as {{ name }},
        {%- endfor %}
        breakdown_rows.stat_date,
        breakdown_rows.channel,
        breakdown_rows.device_type
    from {{ ref('daily_breakdowns') }} as breakdown_rows
    where breakdown_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by breakdown_rows.stat_date, breakdown_rows.channel, breakdown_rows.device_type
),

days as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

-- each day beside its breakdowns, joined once: each CTE reference is computed again on
-- MariaDB, so the checks below read this once
compared as (
    select
        days.*,
        {%- for name in sums %}
        coalesce(breakdown_sums.{{ name }}, 0) as {{ name }},
        {%- endfor %}
        breakdown_sums.stat_date as breakdown_date
    from days
    left join breakdown_sums
        on
            days.stat_date = breakdown_sums.stat_date
            and days.channel = breakdown_sums.channel
            and days.device_type = breakdown_sums.device_type
)

{%- for check, breakdown_sum, metric, other_sum, at_least in checks %}
{%- set expected = 'compared.' ~ (metric or other_sum) %}
{%- if not loop.first %}

union all
{%- endif %}

select
    '{{ check }}' as failed_check,
    compared.stat_date,
    compared.channel,
    compared.device_type,
    cast(compared.{{ breakdown_sum }} as decimal(18, 2)) as breakdown_value,
    cast({{ expected }} as decimal(18, 2)) as expected_value
from compared
where compared.{{ breakdown_sum }} {{ '<' if at_least else '<>' }} {{ expected }}
{%- else %}

select
    'none' as failed_check,
    compared.stat_date,
    compared.channel,
    compared.device_type,
    0 as breakdown_value,
    0 as expected_value
from compared
where 1 = 0
{%- endfor %}
