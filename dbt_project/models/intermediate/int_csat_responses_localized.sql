{{ localized_select('csat_responses') }}
