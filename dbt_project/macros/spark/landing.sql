{#-
    spark__read_landing(entity): the Spark reading of the landing folder, with
    the same output as duckdb__read_landing (see landing.sql): source_file,
    line_number, parse_error, <column>, <column>__present.

    - Files are listed when the model runs (run_query over Spark's binaryFile
      source on the landing folder; file contents are not read), so a missing
      or empty entity folder reads as "no records". Spark SQL has no glob table
      function, and a path that matches nothing is an error: the listing
      decides which scans the model gets.
    - JSON Lines (.jsonl, .jsonl.gz): one scan of Spark's text source over the
      entity folder (`text.\`<folder>/*.{jsonl,jsonl.gz}\``), gzip decoded by
      the Hadoop codec. Line numbers per file: row_number() over the file,
      ordered by monotonically_increasing_id(), which follows the order of the
      lines (a file's splits are read in offset order). Blank lines keep their
      number and are skipped, like DuckDB. Each line is parsed with from_json
      into string fields (non-string JSON values keep their JSON text, as
      DuckDB's json_transform to VARCHAR does) and typed with the casts below.
    - Parquet: one scan per file (its columns are looked up first, so a
      missing optional column reads as null), line number = row index + 1.
    - source_file is '<entity>/<file name>', as on DuckDB, so rejected_records
      match across engines.

    Differences from DuckDB (docs/spark.md): Spark skips files whose name
    starts with '_' or '.'; a JSON object followed by trailing text is read by
    Spark, rejected by DuckDB; a trailing comma or duplicate key is read by
    DuckDB only (duplicates: DuckDB keeps the first, Spark the last value).
-#}

{#- A SQL string literal for Spark (backslash escapes are on by default). -#}
{%- macro spark_string_literal(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro -%}


{#- A path for a Spark file-source identifier: glob characters escaped, backticks doubled. -#}
{%- macro spark_path_identifier(path, glob_suffix="") -%}
    {%- set escaped = namespace(value=path | string) -%}
    {%- for ch in ["\\", "{", "}", "[", "]", "*", "?"] -%}
        {%- set escaped.value = escaped.value | replace(ch, "\\" ~ ch) -%}
    {%- endfor -%}
    `{{ (escaped.value ~ glob_suffix) | replace("`", "``") }}`
{%- endmacro -%}


{#- A landed value (any type) as TIMESTAMP, or null when it does not parse like DuckDB's try_cast to TIMESTAMPTZ. -#}
{%- macro spark_landing_timestamp(expr) -%}
    case
        when cast({{ expr }} as string) rlike '^\\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}'
            then try_cast(
                regexp_replace(
                    cast({{ expr }} as string),
                    '^(\\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[T ][0-9]{1,2}:[0-9]{2})(?=$|[^0-9:])',
                    '$1:00'
                ) as timestamp
            )
    end
{%- endmacro -%}


{#- A landed value (any type) as INT when it is a whole number (5, "5", 5.0), else null, like DuckDB's. -#}
{%- macro spark_landing_integer(expr) -%}
    case
        when try_cast({{ expr }} as double) = floor(try_cast({{ expr }} as double))
            then try_cast(try_cast({{ expr }} as double) as int)
    end
{%- endmacro -%}


{%- macro spark__landing_cast(expr, type_name) -%}
    {%- if type_name == "timestamp" -%}
        {{ spark_landing_timestamp(expr) }}
    {%- elif type_name == "integer" -%}
        {{ spark_landing_integer(expr) }}
    {%- else -%}
        cast({{ expr }} as string)
    {%- endif -%}
{%- endmacro -%}


{#-
    The landing files of one entity, listed at run time: full paths (as Spark
    gives them, e.g. file:/...), sorted by file name. Only files directly
    inside <landing_dir>/<entity>/ (Spark's listing skips hidden files).
-#}
{% macro spark__list_landing_files(entity) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set root = landing_prefix().rstrip("/") -%}
    {%- set folder_suffix = (root[2:] if root.startswith("./") else root) ~ "/" ~ entity -%}
    {%- set listing -%}
        select url_decode(replace(path, '+', '%2B')) as path
        from {{ spark_landing_listing_view(entity) }}
    {%- endset -%}
    {%- do run_query(
        "create or replace temporary view " ~ spark_landing_listing_view(entity)
        ~ " using binaryFile options (path " ~ spark_string_literal(root)
        ~ ", recursiveFileLookup 'true', pathGlobFilter '*.{jsonl,jsonl.gz,parquet}')"
    ) -%}
    {%- set result = run_query(listing) -%}
    {%- set files = [] -%}
    {%- for row in result.rows -%}
        {%- set path = row[0] -%}
        {%- set parent, name = path.rsplit("/", 1) -%}
        {%- if parent.endswith(folder_suffix) and (parent | length == folder_suffix | length or parent[-(folder_suffix | length) - 1] in [":", "/"]) -%}
            {%- do files.append(path) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files | sort) }}
{% endmacro %}


{#- One temporary view per entity: dbt may run two staging models at once in one session. -#}
{%- macro spark_landing_listing_view(entity) -%}
    ochre_landing_files_{{ entity }}
{%- endmacro -%}


{#- Column names of one Parquet file. -#}
{% macro spark__parquet_columns(path) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query("select * from parquet." ~ spark_path_identifier(path) ~ " limit 0") -%}
    {{ return(result.column_names | list) }}
{% endmacro %}


{% macro spark__read_landing(entity) %}
    {%- set columns = landing_contract(entity).columns -%}
    {%- set folder = landing_path(entity) -%}
    {%- set json_files = [] -%}
    {%- set parquet_files = [] -%}
    {%- for path in spark__list_landing_files(entity) -%}
        {%- set f = {"name": path.rsplit("/", 1)[-1], "path": path} -%}
        {%- do (parquet_files if path.endswith(".parquet") else json_files).append(f) -%}
    {%- endfor -%}
    {%- set parts = [] -%}

    {%- if json_files | length > 0 -%}
        {%- set schema = [] -%}
        {%- for col in columns -%}
            {%- do schema.append("`" ~ col.name ~ "` string") -%}
        {%- endfor -%}
        {%- do schema.append("`_ochre_corrupt_record` string") -%}
        {%- set json_select -%}
        select
            _source_file,
            _line_number,
            case
                when _rec is null or _rec._ochre_corrupt_record is not null
                    or not _line rlike '^\\s*\\{'
                    then
                        case
                            when try_parse_json(_line) is null then 'invalid JSON'
                            else 'JSON line is not an object'
                        end
            end as _parse_error,
            {%- for col in columns %}
            case
                when _rec._ochre_corrupt_record is null and _line rlike '^\\s*\\{'
                    then {{ spark__landing_cast("_rec." ~ col.name, col.type) }}
            end as {{ col.name }},
            coalesce(
                _rec._ochre_corrupt_record is null and _line rlike '^\\s*\\{'
                and _rec.{{ col.name }} is not null,
                false
            ) as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select
                _source_file,
                _line_number,
                _line,
                from_json(
                    _line,
                    {{ spark_string_literal(schema | join(", ")) }},
                    map('columnNameOfCorruptRecord', '_ochre_corrupt_record')
                ) as _rec
            from (
                select
                    concat(
                        {{ spark_string_literal(entity ~ "/") }},
                        url_decode(replace(_file_name, '+', '%2B'))
                    ) as _source_file,
                    _line_number,
                    case
                        when _line_number = 1 then regexp_replace(value, '^\\x{FEFF}', '')
                        else value
                    end as _line
                from (
                    select
                        _file_name,
                        cast(
                            row_number() over (partition by _file_path order by _row_id) as bigint
                        ) as _line_number,
                        value
                    from (
                        select
                            _metadata.file_path as _file_path,
                            _metadata.file_name as _file_name,
                            monotonically_increasing_id() as _row_id,
                            value
                        from text.{{ spark_path_identifier(folder, "/*.{jsonl,jsonl.gz}") }}
                    ) as file_lines
                ) as numbered_lines
            ) as raw_lines
            where _line is not null and trim(_line) <> ''
        ) as json_records
        {%- endset -%}
        {%- do parts.append(json_select) -%}
    {%- endif -%}

    {%- for f in parquet_files -%}
        {%- set cols = spark__parquet_columns(f.path) -%}
        {%- set parquet_select -%}
        select
            {{ spark_string_literal(entity ~ "/" ~ f.name) }} as _source_file,
            cast(_metadata.row_index + 1 as bigint) as _line_number,
            cast(null as string) as _parse_error,
            {%- for col in columns %}
            {%- if col.name in cols %}
            {{ spark__landing_cast("`" ~ col.name ~ "`", col.type) }} as {{ col.name }},
            `{{ col.name }}` is not null as {{ col.name }}__present{{ "," if not loop.last }}
            {%- else %}
            cast(null as {{ landing_sql_type(col.type) }}) as {{ col.name }},
            false as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endif %}
            {%- endfor %}
        from parquet.{{ spark_path_identifier(f.path) }}
        {%- endset -%}
        {%- do parts.append(parquet_select) -%}
    {%- endfor -%}

    {%- if parts | length == 0 -%}
        {%- set empty_select -%}
        select
            cast(null as string) as _source_file,
            cast(null as bigint) as _line_number,
            cast(null as string) as _parse_error,
            {%- for col in columns %}
            cast(null as {{ landing_sql_type(col.type) }}) as {{ col.name }},
            false as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endfor %}
        where false
        {%- endset -%}
        {%- do parts.append(empty_select) -%}
    {%- endif -%}

    select
        _source_file as source_file,
        _line_number as line_number,
        _parse_error as parse_error,
        {%- for col in columns %}
        {{ col.name }},
        {{ col.name }}__present{{ "," if not loop.last }}
        {%- endfor %}
    from (
        {{ parts | join("\n        union all\n        ") }}
    ) as landed
{% endmacro %}


{#-
    Every file two levels below the landing folder (<entity folder>/<file>),
    from Spark's binaryFile source: its contents are not read. Spark's file
    listing skips hidden files (a name starting with '.' or '_').
-#}
{% macro spark__landing_file_listing() -%}
    {%- set prefix = landing_prefix() -%}
    select source_file, file_size_bytes, file_modified_at
    from (
        select
            substr(
                url_decode(replace(path, '+', '%2B')),
                instr(url_decode(replace(path, '+', '%2B')), {{ spark_string_literal(prefix) }})
                + {{ prefix | length }}
            ) as source_file,
            length as file_size_bytes,
            modificationTime as file_modified_at
        from binaryFile.{{ spark_path_identifier(prefix, "*/*") }}
    ) as listed
    where source_file not like '%/%/%'
{%- endmacro %}


{#- Spark: default__landing_relative_path with Spark string literals (backslash escapes). -#}
{% macro spark__landing_relative_path(path_expr) -%}
    {%- set prefix = landing_prefix() -%}
    case
        when substr({{ path_expr }}, 1, {{ prefix | length }}) = {{ spark_string_literal(prefix) }}
            then substr({{ path_expr }}, {{ prefix | length + 1 }})
        else {{ path_expr }}
    end
{%- endmacro %}
