{#- A view, like int_messages_localized: local dates are computed on read. -#}
{{ config(materialized='view') }}

{{ localized_select('nps_responses') }}
