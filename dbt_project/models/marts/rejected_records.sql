{#-
    Every landed record that does not count, with why: the rejected copies of
    the deduplicated models. No payload is kept: it may hold personal data.
-#}
with

{%- set entities = {
    'workspaces': (ref('int_workspaces_deduplicated'), 'workspace_id'),
    'agents': (ref('int_agents_deduplicated'), 'agent_id'),
    'conversations': (ref('int_conversations_deduplicated'), 'conversation_id'),
    'messages': (ref('int_messages_deduplicated'), 'message_id'),
    'csat_responses': (ref('int_csat_responses_deduplicated'), 'response_id'),
    'mentions': (ref('int_mentions_deduplicated'), 'mention_id'),
    'nps_responses': (ref('int_nps_responses_deduplicated'), 'response_id'),
    'business_hours': (ref('int_business_hours_deduplicated'), 'interval_id'),
    'holidays': (ref('int_holidays_deduplicated'), 'holiday_id'),
} %}

final as (
    {%- for entity, spec in entities.items() %}
        select
            '{{ entity }}' as entity,
            source_file,
            line_number,
            {{ spec[1] }} as record_id,
            reject_reason as reason
        from {{ spec[0] }}
        where copy_status = 'rejected'
        {{- "\n\n    union all\n" if not loop.last }}
    {%- endfor %}
)

select * from final
