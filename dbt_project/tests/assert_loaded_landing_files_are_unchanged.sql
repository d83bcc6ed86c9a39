{#-
    Landing files are immutable once landed: a file the load log holds must
    still have the size and modification time it had when it was loaded.
    Fails with one row per changed file; the run then publishes nothing.
    Restore the file and land the change as a new file, or rebuild from
    every file with a full refresh. (A loaded file that is gone is a
    warning: assert_loaded_landing_files_are_present.)
-#}
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
    loaded.loaded_at,
    loaded.file_size_bytes as size_when_loaded,
    listing.file_size_bytes as size_now,
    loaded.file_modified_at as modified_when_loaded,
    listing.file_modified_at as modified_now
from loaded
inner join listing
    on loaded.source_file = listing.source_file
where loaded.file_size_bytes <> listing.file_size_bytes
    or loaded.file_modified_at <> listing.file_modified_at
