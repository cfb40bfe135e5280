{#- What the collector did with the events it received on each local day of [start, end]
    (table collect_daily_tally of the raw schema, bizstats/web/collect/tally.py), at execution
    time: a list of {'day', 'received', 'delivered', 'refused': {outcome: events}} in day
    order, only days with events; [] at parse time or while the table does not exist. -#}
{% macro collection_tally(start, end) -%}
    {%- set tally = existing_relation(var('raw_schema') or (target.schema ~ '_raw'), 'collect_daily_tally') if execute else none -%}
    {%- if not tally -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select stat_date, outcome, delivered, sum(events) from " ~ tally
        ~ " where stat_date between " ~ date_literal(start) ~ " and " ~ date_literal(end)
        ~ " group by stat_date, outcome, delivered order by stat_date, outcome"
    ).rows -%}
    {%- set days = [] -%}
    {%- for row in rows -%}
        {%- set day = row[0] | string -%}
        {%- if not days or days[-1].day != day -%}
            {%- do days.append({'day': day, 'received': 0, 'delivered': 0, 'refused': {}}) -%}
        {%- endif -%}
        {%- set events = row[3] | int -%}
        {%- do days[-1].update({'received': days[-1].received + events}) -%}
        {%- if row[2] | int == 1 -%}
            {%- do days[-1].update({'delivered': days[-1].delivered + events}) -%}
        {%- elif events > 0 -%}
            {%- do days[-1].refused.update({row[1]: events}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(days | selectattr('received') | list) }}
{%- endmacro %}
