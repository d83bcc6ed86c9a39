{#-
    A landing file the load log holds that is no longer in the landing
    folder: its records stay in the warehouse (and in the published tables)
    until a full refresh, which no longer finds them. A warning, not an
    error: nothing published is wrong, but a full refresh would differ.
-#}
{{ config(severity='warn') }}
with

loaded as (
    select * from {{ ref('int_landing_files') }}
    where load_status = 'loaded'
),

listing as (
    {{ landing_file_listing() }}
)

select
    loaded.source_file,
    loaded.loaded_at
from loaded
left join listing
    on loaded.source_file = listing.source_file
where listing.source_file is null
