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
    rejected rows change, are written (delete+insert by id); a stored copy
    that still wins stays as it is.

    Output: one row per id that has a good copy (reject_reason null), plus
    one row per copy rejected for a reference (reject_reason set; an id may
    appear on several such rows, and beside its clean row). Downstream models
    keep only rows where reject_reason is null; rejected_records lists the
    others.

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
            and updated_at >= cast('{{ since }}' as {{ landing_sql_type("timestamp") }})

        -- older copies rejected for a reference then: checked again
        union all
        select
            {{ copy_columns(spec) }},
            cast(null as {{ landing_sql_type("string") }}) as reject_reason
        from {{ this }}
        where reject_reason is not null
            and updated_at < cast('{{ since }}' as {{ landing_sql_type("timestamp") }})
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
    -- the columns that decide the winner are read from the table
    stored_good as (
        select {{ spec.id }}, updated_at, source_file, line_number
        from {{ this }}
        where reject_reason is null
            and {{ spec.id }} in (select {{ spec.id }} from valid_copies)
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

    -- a stored winner stays where it is, unless its id has rejected copies
    -- (now or stored) whose rows this run replaces: then it is written again
    stored_winners_to_rewrite as (
        select {{ spec.id }} from winners
        where is_stored
            and (
                {{ spec.id }} in (select {{ spec.id }} from checked_copies where reference_reason is not null)
                or {{ spec.id }} in (select {{ spec.id }} from {{ this }} where reject_reason is not null)
            )
    ),

    latest as (
        select good_copies.*
        from good_copies
        inner join winners
            on good_copies.{{ spec.id }} = winners.{{ spec.id }}
            and good_copies.source_file = winners.source_file
            and good_copies.line_number = winners.line_number
            and not winners.is_stored

        union all

        select
            {{ copy_columns(spec) }},
            reject_reason as reference_reason
        from {{ this }}
        where reject_reason is null
            and {{ spec.id }} in (select {{ spec.id }} from stored_winners_to_rewrite)
    ),
    {%- endif %}

    final as (
        select
            {{ copy_columns(spec) }},
            reference_reason as reject_reason
        from latest

        union all

        select
            {{ copy_columns(spec) }},
            reference_reason as reject_reason
        from checked_copies
        where reference_reason is not null
    )

    select * from final
{%- endmacro %}
