{{ localized_select(
    'mentions',
    ['mention_id', 'message_id', 'conversation_id', 'workspace_id', 'mentioned_agent_id',
     'created_at', 'updated_at'],
    'created_at',
    'created_date',
) }}
