-- depends_on: {{ source('landing', 'conversations') }}
{{ staging_select('conversations') }}
