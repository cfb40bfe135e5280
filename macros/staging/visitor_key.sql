{#- The visitor key of a page view (UV counts distinct keys): `user_id` when logged in, else
    'd:' + `device_id`, else NULL (the view counts in pv only). The 'd:' prefix keeps a device
    id from colliding with a user id. -#}
{% macro visitor_key(user_id, device_id) -%}
    case
        when {{ user_id }} is not null then {{ user_id }}
        when {{ device_id }} is not null then concat('d:', {{ device_id }})
    end
{%- endmacro %}
