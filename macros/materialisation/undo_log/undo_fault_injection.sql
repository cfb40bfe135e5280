{#- Post-hook of the marts, for the test suite: BIZSTATS_FAULT_AFTER_MODEL=<model> commits
    that model's new rows, then fails it, so a test can fail each mart in turn and see that
    the build changes no mart. -#}
{% macro undo_fault_injection() -%}
    {%- if execute and env_var('BIZSTATS_FAULT_AFTER_MODEL', '') == this.identifier -%}
        {%- do adapter.commit() -%}
        {{ exceptions.raise_compiler_error(
            "fault injected after " ~ this.identifier ~ " committed (BIZSTATS_FAULT_AFTER_MODEL)") }}
    {%- endif -%}
{%- endmacro %}
