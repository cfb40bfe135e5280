{#- What a metric or a breakdown dimension can read: vars.metric_sources of dbt_project.yml, a
    dict name -> {name, model, time, id, slice ('own' | 'user'), user_type ('visitor' | 'user')}.
    A bad entry stops `dbt parse` with one line naming it. -#}
{% macro metric_source_registry() -%}
    {%- set sources = {} -%}
    {%- for name, entry in (var('metric_sources', {}) or {}).items() -%}
        {%- set where = "metric_sources." ~ name ~ " (dbt_project.yml vars)" -%}
        {%- for field in ['model', 'time', 'id', 'slice', 'user_type'] -%}
            {%- if not entry.get(field) -%}
                {{ exceptions.raise_compiler_error(where ~ ": `" ~ field ~ "` is missing: give it") }}
            {%- endif -%}
        {%- endfor -%}
        {%- if entry.slice not in ['own', 'user'] or entry.user_type not in ['visitor', 'user'] -%}
            {{ exceptions.raise_compiler_error(
                where ~ ": slice must be own or user, user_type visitor or user") }}
        {%- endif -%}
        {%- do sources.update({name: {
            'name': name, 'model': entry.model, 'time': entry.time, 'id': entry.id,
            'slice': entry.slice, 'user_type': entry.user_type}}) -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}
