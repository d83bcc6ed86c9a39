-- depends_on: {{ source('landing', 'nps_responses') }}
{{ staging_select('nps_responses') }}
