{#- Shared metric expressions, so every mart computes a metric the same way. -#}

{#- avg_visit_duration: round(total_duration / uv) half up, 0 when uv = 0, in integers. -#}
{% macro avg_visit_duration(total_duration, uv) -%}
    case
        when {{ uv }} = 0 then 0
        else {{ int_div('2 * ' ~ total_duration ~ ' + ' ~ uv, '2 * ' ~ uv) }}
    end
{%- endmacro %}

{#- Traffic aggregates of int_page_views rows aliased `pv_`, grouped by the caller. -#}
{% macro traffic_aggregates() -%}
    count(*) as pv,
    count(distinct pv_.visitor_key) as uv,
    sum(pv_.counted_duration_seconds) as total_duration
{%- endmacro %}

{#- Business aggregates of int_business_facts rows aliased `f_`, grouped by the caller. -#}
{% macro business_aggregates() -%}
    sum(case when f_.fact = 'real_name' then 1 else 0 end) as real_name_count,
    sum(case when f_.fact = 'bind_card' then 1 else 0 end) as bind_card_count,
    sum(case when f_.fact = 'new_member' then 1 else 0 end) as new_member_count,
    sum(case when f_.fact = 'credit_order' then 1 else 0 end) as credit_order_count,
    sum(case when f_.fact = 'member_deduction' then f_.amount else 0 end) as member_deduction
{%- endmacro %}
