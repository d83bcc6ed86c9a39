{#-
    The models keyed by conversation (int_first_response_samples,
    fct_agent_activity, fct_conversation_activity) rebuild the conversations
    that int_conversation_changes says changed after their own last build:
    a run appends those conversations' rows (incremental strategy append),
    then its post-hook deletes their older rows. A rebuilt conversation that
    no longer has any row (say its only reply was re-exported as a note)
    keeps none. On Spark these models are tables rebuilt every run.
-#}


{#-
    The conversations a run of the model rebuilds: changed after the model's
    last build (its newest `_built_at` before this run; every conversation
    when it has no row yet). The model and its post-hook both select them
    through this macro.
-#}
{% macro conversations_changed_since_last_build() -%}
    select conversation_id from {{ ref('int_conversation_changes') }}
    where changed_at > (
        select coalesce(
            max(_built_at),
            cast('1970-01-01 00:00:00+00' as {{ landing_sql_type('timestamp') }})
        )
        from {{ this }}
        where _built_at < {{ run_started_at_literal() }}
    )
{%- endmacro %}


{#- Post-hook: delete the rows of the rebuilt conversations that this run did not write. -#}
{% macro delete_older_rows_of_rebuilt_conversations() %}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where _built_at < {{ run_started_at_literal() }}
        and conversation_id in ({{ conversations_changed_since_last_build() }})
    {%- endif -%}
{% endmacro %}
