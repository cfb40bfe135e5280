{#- The rows 0 .. count - 1 of one integer column `name`, as a union of literal selects
    (portable: no generate_series / recursive CTE needed on either adapter). -#}
{% macro integer_rows(count, name) -%}
    {%- for value in range(count) %}
    select {{ value }} as {{ name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
