-- depends_on: {{ source('landing', 'mentions') }}
{{ staging_select('mentions') }}
