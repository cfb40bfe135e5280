{#- The value of the ratio metric `metric` from the SQL expressions of its parts at the same
    grain: numerator / denominator rounded half up to metric.decimals places, exact in integers
    so DuckDB and MySQL agree (both parts in cents when either is an amount); 0 when the
    denominator is 0. Never an average of stored ratios. -#}
{% macro ratio_sql(metric, numerator, denominator) -%}
    {%- set parts = [metric_by_name(metric.numerator), metric_by_name(metric.denominator)] -%}
    {%- set scale = 100 if parts | selectattr('sql_type', 'ne', 'integer') | list else 1 -%}
    {%- set num = as_bigint('(' ~ numerator ~ ') * ' ~ scale) -%}
    {%- set den = as_bigint('(' ~ denominator ~ ') * ' ~ scale) -%}
    {%- set places = 10 ** metric.decimals -%}
    {%- set rounded = int_div('2 * ' ~ num ~ ' * ' ~ places ~ ' + ' ~ den, '2 * ' ~ den) -%}
    case
        when {{ den }} = 0 then 0
        {%- if metric.decimals == 0 %}
        else {{ rounded }}
        {%- else %}
        else {{ rounded }} * {{ '0.' ~ '0' * (metric.decimals - 1) ~ '1' }}
        {%- endif %}
    end
{%- endmacro %}
