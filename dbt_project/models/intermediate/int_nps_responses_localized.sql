{{ localized_select('nps_responses') }}
