{#- Dialect differences between DuckDB and MySQL/MariaDB, behind adapter.dispatch.
    dbt-mysql 1.7 ships no cross-database macros, and the `mariadb` adapter type has no
    parent, so each macro has a default (DuckDB), a mysql__ and a mariadb__ version. -#}

{#- Whole seconds from `start_ts` to `end_ts`. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'bizstats')(start_ts, end_ts)) }}
{%- endmacro %}
{% macro default__seconds_between(start_ts, end_ts) -%}
    date_diff('second', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}
{% macro mysql__seconds_between(start_ts, end_ts) -%}
    timestampdiff(second, {{ start_ts }}, {{ end_ts }})
{%- endmacro %}
{% macro mariadb__seconds_between(start_ts, end_ts) -%}
    {{ mysql__seconds_between(start_ts, end_ts) }}
{%- endmacro %}

{#- Integer division, truncating. -#}
{% macro int_div(a, b) -%}
    {{ return(adapter.dispatch('int_div', 'bizstats')(a, b)) }}
{%- endmacro %}
{% macro default__int_div(a, b) -%}
    (({{ a }}) // ({{ b }}))
{%- endmacro %}
{% macro mysql__int_div(a, b) -%}
    (({{ a }}) div ({{ b }}))
{%- endmacro %}
{% macro mariadb__int_div(a, b) -%}
    {{ mysql__int_div(a, b) }}
{%- endmacro %}

{#- A string column of an explicit width (MySQL never widens incremental columns). -#}
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

{#- An integer column. -#}
{% macro as_int(expr) -%}
    {{ return(adapter.dispatch('as_int', 'bizstats')(expr)) }}
{%- endmacro %}
{% macro default__as_int(expr) -%}
    cast({{ expr }} as integer)
{%- endmacro %}
{% macro mysql__as_int(expr) -%}
    cast({{ expr }} as signed)
{%- endmacro %}
{% macro mariadb__as_int(expr) -%}
    {{ mysql__as_int(expr) }}
{%- endmacro %}

{#- A string field of a JSON text, NULL when the text is not valid JSON. -#}
{% macro json_string_field(json_text, field) -%}
    {{ return(adapter.dispatch('json_string_field', 'bizstats')(json_text, field)) }}
{%- endmacro %}
{% macro default__json_string_field(json_text, field) -%}
    case
        when json_valid({{ json_text }})
            then json_extract_string({{ json_text }}, '$.{{ field }}')
    end
{%- endmacro %}
{% macro mysql__json_string_field(json_text, field) -%}
    case
        when json_valid({{ json_text }})
            then json_unquote(json_extract({{ json_text }}, '$.{{ field }}'))
    end
{%- endmacro %}
{% macro mariadb__json_string_field(json_text, field) -%}
    {{ mysql__json_string_field(json_text, field) }}
{%- endmacro %}

{#- A datetime literal/expression type for created_at/updated_at columns. -#}
{% macro run_timestamp() -%}
    {{ return(adapter.dispatch('run_timestamp', 'bizstats')()) }}
{%- endmacro %}
{% macro default__run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
{% macro mysql__run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as datetime)
{%- endmacro %}
{% macro mariadb__run_timestamp() -%}
    {{ mysql__run_timestamp() }}
{%- endmacro %}
