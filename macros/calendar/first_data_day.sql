{#- The first local day any published number can fall on: the earliest fact time of the raw
    tables (page views and other events, approvals, binds, paid memberships, orders,
    deductions, refunds). Registration dates alone put no number on a day. -#}
{% macro first_data_day() -%}
    {%- set raw_schema = var('raw_schema') or (target.schema ~ '_raw') -%}
    {%- set fact_times = {
        'event_logs': ['event_time'],
        'real_name_auths': ['approved_at'],
        'bank_cards': ['bound_at'],
        'member_orders': ['effective_at', 'paid_at'],
        'orders': ['created_at'],
        'deductions': ['deducted_at'],
        'refunds': ['refunded_at'],
    } -%}
    {%- set minima = [] -%}
    {%- for table, columns in fact_times.items() -%}
        {%- set relation = existing_relation(raw_schema, table) if execute else none -%}
        {%- for column in columns if relation -%}
            {%- do minima.append("select min(" ~ column ~ ") as first_at from " ~ relation) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not minima -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(query_date(
        "select " ~ local_date("min(facts.first_at)") ~ " from (" ~ (minima | join(" union all ")) ~ ") as facts"
    )) }}
{%- endmacro %}
