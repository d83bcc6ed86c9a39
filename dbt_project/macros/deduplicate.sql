{#- A landed copy's columns and where it came from (optionally qualified by `alias`). -#}
{% macro copy_columns(spec, alias=none) -%}
    {%- set q = alias ~ "." if alias else "" -%}
    {%- for col in spec.columns %}{{ q }}{{ col[0] }}, {% endfor -%}
    {{ q }}source_file, {{ q }}line_number
{%- endmacro %}


{#-
    deduplicated_select(entity, references): the body of an
    int_<entity>_deduplicated model.

    1. Records with a record-level reject reason (see stg_<entity>) are left
       out here; rejected_records lists them.
    2. Every remaining copy is checked against the entities it points at
       (only their clean records): a dangling reference, or a reference to a
       rejected parent, makes that copy bad (reject_reason set).
    3. Of the good copies of one id, the one with the greatest updated_at
       wins (ties: the later file, then the later line). A bad copy never
       erases an older good copy: "bad copies are rejected, the newest good
       copy wins".

    With incremental=true and an incremental run, only copies new since the
    last run (updated_at within var lookback_days of the newest record then)
    are read from the landing files (DuckDB skips older Parquet files and row
    groups by their statistics), and the copies this table holds as rejected
    for a reference are checked again; the table's current good copy of each
    such id competes with them. Only the ids whose winner is new, or whose
    rejected rows change, are written (incremental strategy replace_copies,
    config kind 'copies_by_id'); a stored copy that still wins stays as it is.

    Output: one row per id that has a good copy (reject_reason null), plus
    one row per copy rejected for a reference (reject_reason set; an id may
    appear on several such rows, and beside its clean row). Downstream models
    keep only rows where reject_reason is null; rejected_records lists the
    others.

    _good_since (null on rejected rows): from when, on the records' clock,
    incremental readers count the good copy as new. Its updated_at, except
    for a copy stored as rejected for a reference, older than the cutoff,
    that passes its check in an incremental run (its parent landed late): a
    rescued copy gets the newest updated_at the table held before that run,
    so the samples and the facts, which pick up records by _good_since, count
    it in the same run although its updated_at is older than their cutoff.

    references: list of dicts
      column:    the column holding the reference
      parent:    model name of the (deduplicated) parent
      key:       the parent's id column
      reason:    reject reason when the reference does not resolve
-#}
{% macro deduplicated_select(entity, references=[], incremental=false) -%}
    {%- set spec = landing_entities()[entity] -%}
    with

    {%- set since = incremental_cutoff_literal() if incremental and is_incremental() else none %}
    {%- set since_ts = "cast('" ~ since ~ "' as " ~ landing_sql_type("timestamp") ~ ")" %}
    {%- if since is not none %}{% do require_stored_columns(["_good_since"]) %}{% endif %}

    staged as (
        {%- if since is none %}
        select * from {{ ref('stg_' ~ entity) }}
        {%- else %}
        -- stg_{{ entity }}, read with the cutoff (depends_on: {{ ref('stg_' ~ entity) }})
        select * from (
            {{ staging_select(entity, since=since) }}
        ) as staged_since
        {%- endif %}
    ),

    {%- for r in references %}
    {%- if r.parent not in (references[:loop.index0] | map(attribute="parent") | list) %}

    {{ r.parent }} as (
        select {{ r.key }} from {{ ref(r.parent) }}
        where reject_reason is null
    ),
    {%- endif %}
    {%- endfor %}

    valid_copies as (
        select * from staged
        where reject_reason is null
        {%- if since is not none %}
            -- new since the last run (with the look-back)
            and updated_at >= {{ since_ts }}

        -- older copies rejected for a reference then: checked again
        union all
        select
            {{ copy_columns(spec) }},
            cast(null as {{ landing_sql_type("string") }}) as reject_reason
        from {{ this }}
        where reject_reason is not null
            and updated_at < {{ since_ts }}
        {%- endif %}
    ),

    checked_copies as (
        select
            {{ copy_columns(spec, "valid_copies") }},
            {%- if references | length == 0 %}
            cast(null as {{ landing_sql_type("string") }}) as reference_reason
            {%- else %}
            case
                {%- for r in references %}
                when valid_copies.{{ r.column }} is not null and ref_{{ loop.index }}.{{ r.key }} is null
                    then '{{ r.reason }}'
                {%- endfor %}
            end as reference_reason
            {%- endif %}
        from valid_copies
        {%- for r in references %}
        left join {{ r.parent }} as ref_{{ loop.index }}
            on valid_copies.{{ r.column }} = ref_{{ loop.index }}.{{ r.key }}
        {%- endfor %}
    ),

    good_copies as (
        select * from checked_copies
        where reference_reason is null
    ),
    {%- if since is none %}

    latest as (
        {{ dedup_latest(
            "good_copies",
            [spec.id],
            "updated_at desc, source_file desc, line_number desc",
            mostly_unique=true
        ) }}
    ),
    {%- else %}

    -- the good copy already in the table competes with the new ones; only
    -- the columns that decide the winner are read from the table. A stored
    -- copy older than the cutoff loses to every new copy (all are at or after
    -- the cutoff), so only stored copies at or after it are read (DuckDB
    -- skips older row groups by their statistics), plus, when older rejected
    -- copies pass their check now, the good copies of their ids.
    {%- set recheck = stored_rejects_resolved_before(since_ts, references) %}
    stored_good as (
        select {{ spec.id }}, updated_at, source_file, line_number
        from {{ this }}
        where reject_reason is null
            and updated_at >= {{ since_ts }}
            and {{ spec.id }} in (select {{ spec.id }} from valid_copies)
        {%- if recheck %}

        union all
        select {{ spec.id }}, updated_at, source_file, line_number
        from {{ this }}
        where reject_reason is null
            and updated_at < {{ since_ts }}
            and {{ spec.id }} in (
                select {{ spec.id }} from {{ this }}
                where reject_reason is not null and updated_at < {{ since_ts }}
            )
        {%- endif %}
    ),

    candidates as (
        select {{ spec.id }}, updated_at, source_file, line_number, false as is_stored
        from good_copies
        union all
        select {{ spec.id }}, updated_at, source_file, line_number, true as is_stored
        from stored_good
    ),

    -- a copy read again within the look-back ties with its stored self: the stored one wins
    winners as (
        {{ dedup_latest(
            "candidates",
            [spec.id],
            "updated_at desc, source_file desc, line_number desc, is_stored desc",
            mostly_unique=true
        ) }}
    ),

    -- a stored winner stays where it is (replace_copies keeps it beside new
    -- rejected copies), unless its id has stored rejected copies, which this
    -- run replaces: then it is written again, so a stored copy that passes
    -- its check now but loses leaves no stale row
    stored_winners_to_rewrite as (
        select {{ spec.id }} from winners
        where is_stored
            and {{ spec.id }} in (select {{ spec.id }} from {{ this }} where reject_reason is not null)
    ),

    latest as (
        select
            good_copies.*,
            -- a stored reject checked again (older than the cutoff) that won: rescued now
            case
                when good_copies.updated_at < {{ since_ts }}
                    then {{ timestamp_add_days(since_ts, var("lookback_days") | int) }}
                else good_copies.updated_at
            end as _good_since
        from good_copies
        inner join winners
            on good_copies.{{ spec.id }} = winners.{{ spec.id }}
            and good_copies.source_file = winners.source_file
            and good_copies.line_number = winners.line_number
            and not winners.is_stored

        union all

        select
            {{ copy_columns(spec) }},
            reject_reason as reference_reason,
            _good_since
        from {{ this }}
        where reject_reason is null
            {%- if not recheck %}
            and updated_at >= {{ since_ts }}
            {%- endif %}
            and {{ spec.id }} in (select {{ spec.id }} from stored_winners_to_rewrite)
    ),
    {%- endif %}

    final as (
        select
            {{ copy_columns(spec) }},
            reference_reason as reject_reason,
            {{ "_good_since" if since is not none else "updated_at as _good_since" }}
        from latest

        union all

        select
            {{ copy_columns(spec) }},
            reference_reason as reject_reason,
            cast(null as {{ landing_sql_type("timestamp") }}) as _good_since
        from checked_copies
        where reference_reason is not null
    )

    select * from final
{%- endmacro %}


{#-
    Whether `this` holds copies rejected for a reference, older than the
    cutoff, that pass their check now (their parents are good). Read when the
    model runs: in the common case (none) the run need not look up the
    stored good copies of their ids, which would read every id of the table.
-#}
{% macro stored_rejects_resolved_before(since_ts, references) %}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from {{ this }} as stored
        where stored.reject_reason is not null
            and stored.updated_at < {{ since_ts }}
            {%- for r in references %}
            and (
                stored.{{ r.column }} is null
                or stored.{{ r.column }} in (
                    select {{ r.key }} from {{ ref(r.parent) }} where reject_reason is null
                )
            )
            {%- endfor %}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{% endmacro %}


{#-
    Stops an incremental run of a table an earlier version of the project
    built without `columns` (an incremental model reads its stored rows), with
    what to do instead of a database error about a missing column.
-#}
{% macro require_stored_columns(columns) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute="name") | map("lower") | list -%}
    {%- set missing = columns | reject("in", stored) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built by an earlier version of this project and lacks column(s) "
            ~ missing | join(", ") ~ ": rebuild it once with a full refresh "
            ~ "(`ochre-analytics run --full-refresh`, or `dbt build --full-refresh`)"
        ) }}
    {%- endif -%}
{% endmacro %}
