{#- The shape every metric mart shares — grid, traffic, business, numbers — for one grain.

    Returns one row per row of `grid` (the mart's dense grid: every key of the grain, with any
    other columns the mart wants to carry along), with every column of the grid plus
      pv, uv, avg_visit_duration                  traffic, from the `page_views` rows
      real_name_count, bind_card_count,           business, from the `business_facts` rows
      new_member_count, credit_order_count,
      daily_member_deduction                      (gross member deductions of the row's period)
      member_net_amount, total_net_amount         signed movements of the cumulative amounts
    zeros where nothing happened; the published metrics come typed as every mart publishes
    them (integers, DECIMAL(18,2)). uv and avg_visit_duration are computed over the rows' own
    page views, never summed. The cumulative amounts are each mart's own (their value at the
    end of its period).

    The grain is `grain_columns`, columns of the grid, of `page_views` and of `business_facts`
    (['stat_date'], ['stat_date', 'stat_hour'], ['period_start'], ['stat_date', 'user_type']).
    With `by_slice` the grid is also keyed by channel and device_type, and each page view and
    fact counts in its four slices (macros/slice_rollup.sql). `page_views` (int_page_views rows)
    needs visitor_key and counted_duration_seconds, `business_facts`
    (int_business_facts_in_window rows) needs fact and amount; both need channel and
    device_type with `by_slice`. All three are names of relations (CTEs) of the caller. -#}
{% macro grain_metrics(grid, grain_columns, page_views, business_facts, by_slice=true) -%}
    {%- set join_columns = grain_columns + (['channel', 'device_type'] if by_slice else []) -%}
    {%- set view_keys = grain_keys('grain_views', grain_columns, 'view_slices' if by_slice else none) -%}
    {%- set fact_keys = grain_keys('grain_facts', grain_columns, 'fact_slices' if by_slice else none) -%}
    select
        grid_rows.*,
        {{ as_int('coalesce(traffic.pv, 0)') }} as pv,
        {{ as_int('coalesce(traffic.uv, 0)') }} as uv,
        {{ as_int(avg_visit_duration('coalesce(traffic.total_duration, 0)', 'coalesce(traffic.uv, 0)')) }}
            as avg_visit_duration,
        {{ as_int('coalesce(business.real_name_count, 0)') }} as real_name_count,
        {{ as_int('coalesce(business.bind_card_count, 0)') }} as bind_card_count,
        {{ as_int('coalesce(business.new_member_count, 0)') }} as new_member_count,
        {{ as_int('coalesce(business.credit_order_count, 0)') }} as credit_order_count,
        cast(coalesce(business.daily_member_deduction, 0) as decimal(18, 2)) as daily_member_deduction,
        coalesce(business.member_net_amount, 0) as member_net_amount,
        coalesce(business.total_net_amount, 0) as total_net_amount
    from {{ grid }} as grid_rows
    left join (
        select
            {%- for key, name in view_keys %}
            {{ key }} as {{ name }},
            {%- endfor %}
            count(*) as pv,
            count(distinct grain_views.visitor_key) as uv,
            sum(grain_views.counted_duration_seconds) as total_duration
        from {{ page_views }} as grain_views
        {%- if by_slice %}
        {{ slice_rollup_join('view_slices') }}
        {%- endif %}
        group by
            {%- for key, name in view_keys %}
            {{ key }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as traffic
        on
        {%- for col in join_columns %}
            {% if not loop.first %}and {% endif %}grid_rows.{{ col }} = traffic.{{ col }}
        {%- endfor %}
    left join (
        select
            {%- for key, name in fact_keys %}
            {{ key }} as {{ name }},
            {%- endfor %}
            sum(case when grain_facts.fact = 'real_name' then 1 else 0 end) as real_name_count,
            sum(case when grain_facts.fact = 'bind_card' then 1 else 0 end) as bind_card_count,
            sum(case when grain_facts.fact = 'new_member' then 1 else 0 end) as new_member_count,
            sum(case when grain_facts.fact = 'credit_order' then 1 else 0 end) as credit_order_count,
            sum(case when grain_facts.fact = 'member_deduction' then grain_facts.amount else 0 end)
                as daily_member_deduction,
            sum(case when grain_facts.fact = 'member_net' then grain_facts.amount else 0 end) as member_net_amount,
            sum(case when grain_facts.fact = 'total_net' then grain_facts.amount else 0 end) as total_net_amount
        from {{ business_facts }} as grain_facts
        {%- if by_slice %}
        {{ slice_rollup_join('fact_slices') }}
        {%- endif %}
        group by
            {%- for key, name in fact_keys %}
            {{ key }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as business
        on
        {%- for col in join_columns %}
            {% if not loop.first %}and {% endif %}grid_rows.{{ col }} = business.{{ col }}
        {%- endfor %}
{%- endmacro %}

{#- (expression, column name) of each group key of `rows` (an alias): the grain columns, then,
    with a `rollup` alias (macros/slice_rollup.sql), the sliced channel and device type. -#}
{% macro grain_keys(rows, grain_columns, rollup) -%}
    {%- set keys = [] -%}
    {%- for col in grain_columns -%}
        {%- do keys.append((rows ~ '.' ~ col, col)) -%}
    {%- endfor -%}
    {%- if rollup -%}
        {%- do keys.append((slice_channel(rollup, rows ~ '.channel'), 'channel')) -%}
        {%- do keys.append((slice_device(rollup, rows ~ '.device_type'), 'device_type')) -%}
    {%- endif -%}
    {{ return(keys) }}
{%- endmacro %}
