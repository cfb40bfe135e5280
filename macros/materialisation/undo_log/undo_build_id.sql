{#- The id of the bizstats build this run belongs to, or '' (plain dbt, a model without
    config undo_log, or parse time). -#}
{% macro undo_build_id() -%}
    {%- if not execute or not config.get('undo_log') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set build_id = env_var('BIZSTATS_BUILD_ID', '') -%}
    {%- if build_id and not modules.re.fullmatch('[0-9a-f]{32}', build_id) -%}
        {{ exceptions.raise_compiler_error("BIZSTATS_BUILD_ID must be 32 hex digits, got '" ~ build_id ~ "'") }}
    {%- endif -%}
    {{ return(build_id) }}
{%- endmacro %}
