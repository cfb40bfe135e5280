{#- The slice rollup: every fact row is counted in four slices — (channel, device),
    (channel, all), (all, device) and (all, all) — by a cross join with four flag rows, then
    grouped by the sliced channel and device type. Distinct counts are taken per slice, never
    summed. Used together: `slice_rollup_join(rollup)` after the facts' FROM, then
    `slice_channel(rollup, <facts>.channel)` and `slice_device(rollup, <facts>.device_type)`
    in the select list and the group by, with the same `rollup` alias. -#}

{#- CROSS JOIN of the four rollup flag rows, aliased `rollup`. -#}
{% macro slice_rollup_join(rollup) -%}
    cross join (
        select 0 as roll_channel, 0 as roll_device
        union all select 1 as roll_channel, 0 as roll_device
        union all select 0 as roll_channel, 1 as roll_device
        union all select 1 as roll_channel, 1 as roll_device
    ) as {{ rollup }}
{%- endmacro %}
