{#- The registry metric (metric_registry) called `name`; a compiler error naming the known ones
    when there is none. -#}
{% macro metric_by_name(name) -%}
    {%- for metric in metric_registry() if metric.name == name -%}
        {{ return(metric) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "no metric " ~ name ~ " in the registry (vars.metrics, dbt_project.yml): "
        ~ metric_registry() | map(attribute='name') | join(', ')) }}
{%- endmacro %}
