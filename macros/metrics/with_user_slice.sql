{#- Every row of `rows` (the name of a relation with a user_id column, e.g. a CTE) with the
    user's acquisition slice from `users` (stg_users) added as channel and device_type; users
    missing from `users` are other / other. -#}
{% macro with_user_slice(rows, users) -%}
    select
        {{ rows }}.*,
        coalesce(acquisition_users.channel, 'other') as channel,
        coalesce(acquisition_users.device_type, 'other') as device_type
    from {{ rows }}
    left join {{ users }} as acquisition_users on {{ rows }}.user_id = acquisition_users.user_id
{%- endmacro %}
