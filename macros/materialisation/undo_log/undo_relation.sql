{#- `relation` with `suffix` added to its name (same schema). -#}
{% macro undo_relation(relation, suffix) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ suffix})) }}
{%- endmacro %}
