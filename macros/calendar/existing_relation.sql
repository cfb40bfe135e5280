{#- A relation of this target by schema and name, or none when it does not exist. -#}
{% macro existing_relation(schema, identifier) -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}
