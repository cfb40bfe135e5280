{#- DELETE of the stored rows of `relation` whose `range_column` (a local date) lies in the
    build range. -#}
{% macro range_delete_sql(relation) -%}
    {%- set column = config.get('range_column') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_range' needs config range_column in " ~ this) }}
    {%- endif -%}
    {%- set r = build_range() -%}
    delete from {{ relation }}
    where {{ column }} between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
{%- endmacro %}
