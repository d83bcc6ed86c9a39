-- depends_on: {{ source('landing', 'messages') }}
{{ staging_select('messages') }}
