{#- The newest `_loaded_at` of `relation` as a SQL timestamp literal (to the microsecond), or
    none when the relation is empty (and at parse time): the strict watermark of a model that
    reads only the raw rows loaded since its last run. A literal rather than a subquery, so
    that MariaDB/MySQL range over the raw table's `_loaded_at` index. -#}
{% macro loaded_watermark(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = run_query("select max(_loaded_at) from " ~ relation).columns[0].values()[0] -%}
    {%- if value is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value.strftime('%Y-%m-%d %H:%M:%S.%f') if value.strftime is defined else value | string -%}
    {{ return("timestamp '" ~ text ~ "'") }}
{%- endmacro %}
