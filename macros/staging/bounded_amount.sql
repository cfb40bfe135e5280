{#- An amount as staging keeps it: DECIMAL(18,2), or NULL (set aside) when above the var
    amount_max, the raw contract's largest amount. The loader and the collector never store a
    larger one; a row inserted by hand could, and its sums would overflow DECIMAL(18,2) and fail
    every build: set aside instead, and flagged by the warn test raw_amounts_within_bound. -#}
{% macro bounded_amount(column) -%}
    case when {{ column }} <= {{ var('amount_max') }} then cast({{ column }} as decimal(18, 2)) end
{%- endmacro %}
