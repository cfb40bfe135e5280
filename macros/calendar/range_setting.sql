{#- A range bound, as an ISO date string or none: the dbt var `name` (`start_date` /
    `end_date`), else the environment variable BIZSTATS_BUILD_START / _END. The bizstats
    wrapper sets the environment variables: vars given on the command line change the parse
    state, so every nightly (a new date) would re-parse the whole project; an environment
    variable read only at execution time leaves dbt's partial parsing intact. -#}
{% macro range_setting(name) -%}
    {%- if var(name) -%}
        {{ return(var(name) | string) }}
    {%- endif -%}
    {%- set env_name = 'BIZSTATS_BUILD_' ~ name.split('_')[0] | upper -%}
    {{ return((env_var(env_name, '') if execute else '') or none) }}
{%- endmacro %}
