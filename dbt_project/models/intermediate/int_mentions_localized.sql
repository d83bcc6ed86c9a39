{{ localized_select('mentions') }}
