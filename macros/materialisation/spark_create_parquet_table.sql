{#- CREATE TABLE `relation` USING parquet AS `sql`, partitioned by `partition_column` when one
    is given (Spark then stores that column last). -#}
{% macro spark_create_parquet_table(relation, sql, partition_column) -%}
    create table {{ relation }}
    using parquet
    {%- if partition_column %}
    partitioned by ({{ adapter.quote(partition_column) }})
    {%- endif %}
    as
    {{ sql }}
{%- endmacro %}
