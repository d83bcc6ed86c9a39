{#-
    read_landing(entity): every record of one landing entity, from all of its
    JSON Lines, gzipped JSON Lines and Parquet files, read in place.

    Output columns (one row per non-blank line / Parquet row):
      _source_file   the file the record came from
      _line_number   1-based line (JSON Lines) or row (Parquet) in that file
      _parse_error   why the line could not be read as a record, else null
      <column>       typed value (null when absent or when it does not parse)
      <column>__present  true when the file holds a non-null value for it

    Files are listed when the model runs, so a missing or empty folder reads
    as "no records".

    Incremental readers (both optional; neither changes a record that is read):
      skip_files  landing-relative paths (`messages/2026-11-20.parquet`) not to
                  read: files an incremental model has already processed.
      since       a timestamp literal (a string): the caller keeps only the
                  records with updated_at >= since, and applies that filter
                  itself. DuckDB also hands it to the Parquet reader as a
                  filter on the raw column, so files and row groups whose
                  updated_at statistics all lie before it are not read.
-#}
{% macro read_landing(entity, since=none, skip_files=[]) %}
    {{ return(adapter.dispatch("read_landing", "ochre_analytics")(entity, since, skip_files)) }}
{% endmacro %}


{#- A listed file's path relative to the landing folder, in Jinja (see landing_relative_path). -#}
{%- macro landing_relative_file(path) -%}
    {%- set prefix = landing_prefix() -%}
    {{- return(path[prefix | length:] if path.startswith(prefix) else path) -}}
{%- endmacro -%}


{#- The listed files minus the skipped ones (landing-relative paths). -#}
{%- macro landing_files_to_read(files, skip_files) -%}
    {%- if not skip_files -%}
        {{ return(files) }}
    {%- endif -%}
    {%- set skip = {} -%}
    {%- for f in skip_files -%}
        {%- do skip.update({f: true}) -%}
    {%- endfor -%}
    {%- set kept = [] -%}
    {%- for f in files -%}
        {%- if landing_relative_file(f) not in skip -%}
            {%- do kept.append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(kept) }}
{%- endmacro -%}


{%- macro landing_sql_type(type_name) -%}
    {{ return(adapter.dispatch("landing_sql_type", "ochre_analytics")(type_name)) }}
{%- endmacro -%}

{%- macro default__landing_sql_type(type_name) -%}
    {%- if type_name == "timestamp" -%}timestamp
    {%- elif type_name == "integer" -%}int
    {%- else -%}string
    {%- endif -%}
{%- endmacro -%}

{%- macro duckdb__landing_sql_type(type_name) -%}
    {%- if type_name == "timestamp" -%}timestamptz
    {%- elif type_name == "integer" -%}integer
    {%- else -%}varchar
    {%- endif -%}
{%- endmacro -%}


{#- Files of an entity matching the given suffixes, listed at run time. -#}
{% macro duckdb__list_landing_files(entity, suffixes) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set folder = landing_path(entity) -%}
    {%- set globs = [] -%}
    {%- for suffix in suffixes -%}
        {%- do globs.append("select file from glob('" ~ folder ~ "/*" ~ suffix ~ "')") -%}
    {%- endfor -%}
    {%- set result = run_query(globs | join(" union all ") ~ " order by file") -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}


{#-
    The filter on a Parquet file's own updated_at column that lets DuckDB skip
    files and row groups by their statistics (an empty string when that column
    is not a timestamp). A timestamp without a time zone is UTC (the spec).
-#}
{% macro duckdb__parquet_since_filter(files, since) %}
    {%- if not execute or since is none or files | length == 0 -%}
        {{ return("") }}
    {%- endif -%}
    {%- set result = run_query(
        "select column_type from (describe select updated_at from read_parquet("
        ~ sql_string_list(files) ~ ", union_by_name = true))"
    ) -%}
    {%- set raw_type = (result.columns[0].values() | list | first | string | upper) -%}
    {%- set literal = "cast('" ~ (since | replace("'", "''")) ~ "' as timestamptz)" -%}
    {%- if raw_type == "TIMESTAMP WITH TIME ZONE" -%}
        {{ return("where updated_at >= " ~ literal) }}
    {%- elif raw_type.startswith("TIMESTAMP") -%}
        {{ return("where updated_at >= cast(timezone('UTC', " ~ literal ~ ") as " ~ raw_type ~ ")") }}
    {%- endif -%}
    {{ return("") }}
{% endmacro %}


{#- Column names present in a set of Parquet files. -#}
{% macro duckdb__parquet_columns(files) %}
    {%- if not execute or files | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query(
        "select distinct name from parquet_schema(" ~ sql_string_list(files) ~ ")"
    ) -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}


{%- macro sql_string_list(values) -%}
    [{%- for v in values -%}'{{ v | replace("'", "''") }}'{{ "," if not loop.last }}{%- endfor -%}]
{%- endmacro -%}


{% macro duckdb__read_landing(entity, since=none, skip_files=[]) %}
    {%- set spec = landing_entities()[entity] -%}
    {%- set json_files = landing_files_to_read(
        duckdb__list_landing_files(entity, [".jsonl", ".jsonl.gz"]), skip_files
    ) -%}
    {%- set parquet_files = landing_files_to_read(
        duckdb__list_landing_files(entity, [".parquet"]), skip_files
    ) -%}
    {%- set parquet_cols = duckdb__parquet_columns(parquet_files) -%}
    {%- set parts = [] -%}

    {%- if json_files | length > 0 -%}
        {%- set struct_type = [] -%}
        {%- for col in spec.columns -%}
            {%- do struct_type.append('"' ~ col[0] ~ '":"VARCHAR"') -%}
        {%- endfor -%}
        {%- set lines = [] -%}
        {%- for f in json_files -%}
            {%- do lines.append(
                "select '" ~ (f | replace("'", "''")) ~ "' as _source_file, ordinality as _line_number, line"
                ~ " from read_csv('" ~ (f | replace("'", "''")) ~ "', columns = {'line': 'VARCHAR'},"
                ~ " header = false, delim = chr(1), quote = '', escape = '', auto_detect = false,"
                ~ " strict_mode = false, null_padding = true) with ordinality"
            ) -%}
        {%- endfor -%}
        {%- set json_part -%}
        select
            _source_file,
            _line_number,
            case
                when not json_valid(line) then 'invalid JSON'
                when json_type(line) <> 'OBJECT' then 'JSON line is not an object'
            end as _parse_error,
            case
                when json_valid(line) and json_type(line) = 'OBJECT'
                    then json_transform(line, '{{ "{" ~ (struct_type | join(",")) ~ "}" }}')
            end as _rec
        from (
            {{ lines | join("\n            union all\n            ") }}
        ) as raw_lines
        where line is not null and trim(line) <> ''
        {%- endset -%}
        {%- set json_select -%}
        select
            _source_file,
            _line_number,
            _parse_error,
            {%- for col in spec.columns %}
            try_cast(_rec.{{ col[0] }} as {{ landing_sql_type(col[1]) }}) as {{ col[0] }},
            coalesce(_rec.{{ col[0] }} is not null, false) as {{ col[0] }}__present{{ "," if not loop.last }}
            {%- endfor %}
        from ({{ json_part }}) as json_records
        {%- endset -%}
        {%- do parts.append(json_select) -%}
    {%- endif -%}

    {%- if parquet_files | length > 0 -%}
        {%- set parquet_select -%}
        select
            filename as _source_file,
            file_row_number + 1 as _line_number,
            cast(null as varchar) as _parse_error,
            {%- for col in spec.columns %}
            {%- if col[0] in parquet_cols %}
            try_cast({{ col[0] }} as {{ landing_sql_type(col[1]) }}) as {{ col[0] }},
            {{ col[0] }} is not null as {{ col[0] }}__present{{ "," if not loop.last }}
            {%- else %}
            cast(null as {{ landing_sql_type(col[1]) }}) as {{ col[0] }},
            false as {{ col[0] }}__present{{ "," if not loop.last }}
            {%- endif %}
            {%- endfor %}
        from read_parquet(
            {{ sql_string_list(parquet_files) }},
            union_by_name = true, filename = true, file_row_number = true
        )
        {%- if since is not none and "updated_at" in parquet_cols %}
        {{ duckdb__parquet_since_filter(parquet_files, since) }}
        {%- endif %}
        {%- endset -%}
        {%- do parts.append(parquet_select) -%}
    {%- endif -%}

    {%- if parts | length == 0 -%}
        {%- set empty_select -%}
        select
            cast(null as varchar) as _source_file,
            cast(null as bigint) as _line_number,
            cast(null as varchar) as _parse_error,
            {%- for col in spec.columns %}
            cast(null as {{ landing_sql_type(col[1]) }}) as {{ col[0] }},
            false as {{ col[0] }}__present{{ "," if not loop.last }}
            {%- endfor %}
        where false
        {%- endset -%}
        {%- do parts.append(empty_select) -%}
    {%- endif -%}

    {{ return(parts | join("\nunion all\n")) }}
{% endmacro %}
