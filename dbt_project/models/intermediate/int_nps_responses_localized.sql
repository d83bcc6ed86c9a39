{{ localized_select(
    'nps_responses',
    ['response_id', 'workspace_id', 'score', 'submitted_at', 'updated_at'],
    'submitted_at',
    'submitted_date',
) }}
