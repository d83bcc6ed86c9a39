{{ localized_select(
    'csat_responses',
    ['response_id', 'conversation_id', 'workspace_id', 'score', 'submitted_at', 'updated_at'],
    'submitted_at',
    'submitted_date',
) }}
