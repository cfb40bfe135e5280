{#- Overrides dbt-mysql 1.7's get_columns_in_relation (mysql__ and mariadb__), which sends
    `show columns from schema.table` unquoted: an incremental run then fails on a schema name
    such as `rel-dash` ("1046 No database selected"). The relation renders quoted. -#}
{% macro mysql__get_columns_in_relation(relation) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        show columns from {{ relation }}
    {% endcall %}
    {% set table = load_result('get_columns_in_relation').table %}
    {{ return(sql_convert_columns_in_relation(table)) }}
{%- endmacro %}

{% macro mariadb__get_columns_in_relation(relation) -%}
    {{ return(mysql__get_columns_in_relation(relation)) }}
{%- endmacro %}
