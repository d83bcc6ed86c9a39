-- depends_on: {{ source('landing', 'csat_responses') }}
{{ staging_select('csat_responses') }}
