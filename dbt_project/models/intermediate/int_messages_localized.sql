{#-
    A view: computing local dates on read is cheaper than writing every
    message again; int_messages_deduplicated is the stored, incremental copy.
-#}
{{ config(materialized='view') }}

{{ localized_select('messages') }}
