{#- The local days of this run's period range (whole ISO weeks and months around the build
    range), with their ISO week and month. Generated from the build range, not from data, so
    days without any data still get rows. -#}
{%- set r = period_range() %}

{{ calendar_rows(r.start, r.end) }}
