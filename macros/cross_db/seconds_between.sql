{#- Whole seconds from `start_ts` to `end_ts`. dbt-mysql 1.7 ships no cross-database macros
    and the `mariadb` adapter type has no parent: a default (DuckDB), a mysql__ and a
    mariadb__ version, side by side. -#}
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

{#- Whole seconds crossed, as DuckDB's date_diff('second', ...): the difference of the
    instants' whole epoch seconds. -#}
{% macro spark__seconds_between(start_ts, end_ts) -%}
    (unix_timestamp({{ end_ts }}) - unix_timestamp({{ start_ts }}))
{%- endmacro %}
