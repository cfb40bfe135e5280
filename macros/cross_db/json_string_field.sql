{#- The string field `field` of the JSON text `json_text`, NULL when the text is not valid JSON. -#}
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

{#- get_json_object is NULL on text that is not valid JSON. -#}
{% macro spark__json_string_field(json_text, field) -%}
    get_json_object({{ json_text }}, '$.{{ field }}')
{%- endmacro %}
