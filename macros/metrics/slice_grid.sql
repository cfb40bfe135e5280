{#- The dense grid of the daily marts: every local day of [start, end] x every slice of
    int_slices (channel x device_type with `all`), columns stat_date, channel, device_type. -#}
{% macro slice_grid(start, end) -%}
    select
        calendar.stat_date,
        slices.channel,
        slices.device_type
    from {{ ref('int_calendar') }} as calendar
    cross join {{ ref('int_slices') }} as slices
    where calendar.stat_date between {{ date_literal(start) }} and {{ date_literal(end) }}
{%- endmacro %}
