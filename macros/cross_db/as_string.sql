{#- `expr` as a string column of an explicit width (MySQL never widens incremental columns). -#}
{% macro as_string(expr, width) -%}
    {{ return(adapter.dispatch('as_string', 'bizstats')(expr, width)) }}
{%- endmacro %}

{% macro default__as_string(expr, width) -%}
    cast({{ expr }} as varchar({{ width }}))
{%- endmacro %}

{#- Binary collation, as the raw tables: ids compare case- and space-exactly, as on DuckDB
    (the connection's default utf8mb4_general_ci would merge 'U1' and 'u1'). -#}
{% macro mysql__as_string(expr, width) -%}
    cast({{ expr }} as char({{ width }}) character set utf8mb4) collate utf8mb4_bin
{%- endmacro %}

{% macro mariadb__as_string(expr, width) -%}
    {{ mysql__as_string(expr, width) }}
{%- endmacro %}

{#- Spark: STRING. A VARCHAR(n) column makes Spark fail a write of a longer value (DuckDB
    and the raw contract never limit it). -#}
{% macro spark__as_string(expr, width) -%}
    cast({{ expr }} as string)
{%- endmacro %}
