{#- The SQL condition of a registry `filter` (a mapping column -> value or list of values) over
    the rows aliased `rows`: equality or IN, ANDed; a key `extra_data.<field>` tests that string
    field of the row's extra_data JSON. Strings are quoted ('' escaped), numbers bare. `1 = 1`
    for no filter. `where` names the entry in an error. -#}
{% macro metric_filter_sql(filter, rows, where) -%}
    {%- set conditions = [] -%}
    {%- for key, value in (filter or {}).items() -%}
        {%- if key.startswith('extra_data.') -%}
            {%- set field = key[11:] -%}
            {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', field) -%}
                {{ exceptions.raise_compiler_error(where ~ ": filter key " ~ key ~ ": a field name is letters, digits and _") }}
            {%- endif -%}
            {%- set column = json_string_field(rows ~ '.extra_data', field) -%}
        {%- elif modules.re.match('^[a-z_][a-z0-9_]*$', key) -%}
            {%- set column = rows ~ '.' ~ key -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(where ~ ": filter key " ~ key ~ " is not a column name nor extra_data.<field>") }}
        {%- endif -%}
        {%- set values = value if value is iterable and value is not string and value is not mapping else [value] -%}
        {%- set literals = [] -%}
        {%- for item in values -%}
            {%- if item is string -%}
                {%- do literals.append("'" ~ item | replace("'", "''") ~ "'") -%}
            {%- elif item is number and item is not sameas true and item is not sameas false -%}
                {%- do literals.append(item | string) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(where ~ ": filter " ~ key ~ ": a value is a string or a number, not " ~ item) }}
            {%- endif -%}
        {%- endfor -%}
        {%- if not literals -%}
            {{ exceptions.raise_compiler_error(where ~ ": filter " ~ key ~ ": give at least one value") }}
        {%- endif -%}
        {%- do conditions.append(column ~ (' = ' ~ literals[0] if literals | length == 1 else ' in (' ~ literals | join(', ') ~ ')')) -%}
    {%- endfor -%}
    {{ return(conditions | join(' and ') or '1 = 1') }}
{%- endmacro %}
