{#- Run one statement that returns no rows (DDL, INSERT, SET) on Spark: run_query fetches a
    result, which PyHive has none of for these. -#}
{% macro spark_execute(sql) -%}
    {%- call statement('spark_execute') -%}
        {{ sql }}
    {%- endcall -%}
{%- endmacro %}
