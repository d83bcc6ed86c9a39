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
    and copies of ids rejected for a reference are read; the table's current
    good copy of each such id competes with them.

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

    staged as (
        select * from {{ ref('stg_' ~ entity) }}
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
        {%- if incremental and is_incremental() %}
            -- new since the last run (with the look-back), or rejected then for a reference
            and (
                updated_at >= {{ incremental_cutoff("updated_at") }}
                or {{ spec.id }} in (select {{ spec.id }} from {{ this }} where reject_reason is not null)
            )
        {%- endif %}
    ),

    checked_copies as (
        select
            {%- for col in spec.columns %}
            valid_copies.{{ col[0] }},
            {%- endfor %}
            valid_copies.source_file,
            valid_copies.line_number,
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
        {%- if incremental and is_incremental() %}

        -- the good copy already in the table competes with the new ones
        union all
        select
            {%- for col in spec.columns %}
            {{ col[0] }},
            {%- endfor %}
            source_file,
            line_number,
            reject_reason as reference_reason
        from {{ this }}
        where reject_reason is null
            and {{ spec.id }} in (select {{ spec.id }} from valid_copies)
        {%- endif %}
    ),

    latest as (
        {{ dedup_latest(
            "good_copies",
            [spec.id],
            "updated_at desc, source_file desc, line_number desc"
        ) }}
    ),

    final as (
        select
            {%- for col in spec.columns %}
            {{ col[0] }},
            {%- endfor %}
            source_file,
            line_number,
            reference_reason as reject_reason
        from latest

        union all

        select
            {%- for col in spec.columns %}
            {{ col[0] }},
            {%- endfor %}
            source_file,
            line_number,
            reference_reason as reject_reason
        from checked_copies
        where reference_reason is not null
    )

    select * from final
{%- endmacro %}
