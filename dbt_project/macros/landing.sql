{#-
    The landing readers: what every model that touches the landing folder
    shares. The contract (entities, columns, types, required columns, enums)
    is the `landing` source in models/staging/_sources.yml; these macros read
    it from dbt's graph when models run.

    Compile-time queries of the landing folder and the warehouse (run_query)
    happen here only, each because a table function needs its file list as a
    constant (DuckDB skips a file only for a constant filter):
      - list_landing_files: the files of an entity folder (a glob);
      - landing_files_not_in: the files an incremental model does not hold yet;
      - duckdb__landing_repairs: the repaired copies of JSON Lines files.
-#}


{#- The landing folder as a path prefix, with one trailing slash. -#}
{% macro landing_prefix() %}
    {%- set folder = run_setting("landing_dir", "OCHRE_LANDING_DIR") or "data/landing" -%}
    {{- return(folder.rstrip("/") ~ "/") -}}
{% endmacro %}


{#- Folder of one entity inside the landing folder. -#}
{% macro landing_path(entity) %}
    {{- return(landing_prefix() ~ entity) -}}
{% endmacro %}


{#-
    The contract of one entity, from the source YAML:
    {"id": id column, "optional": bool, "columns": [{"name", "type", "required", "accepted_values"}]}.
    While dbt parses (graph not loaded yet) the column list is empty.
-#}
{% macro landing_contract(entity) %}
    {%- if not execute -%}
        {{ return({"id": none, "optional": false, "columns": []}) }}
    {%- endif -%}
    {%- set node = graph.sources["source." ~ project_name ~ ".landing." ~ entity] -%}
    {%- set columns = [] -%}
    {%- for name, col in node.columns.items() -%}
        {%- do columns.append({
            "name": name,
            "type": col.data_type,
            "required": col.meta.get("required", false),
            "accepted_values": col.meta.get("accepted_values", []),
        }) -%}
    {%- endfor -%}
    {{ return({
        "id": node.meta["id_column"],
        "optional": node.meta.get("optional", false),
        "columns": columns,
    }) }}
{% endmacro %}


{#- The engine's column type for a contract type (string, timestamp, integer). -#}
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


{#-
    A landed value (any type: JSON text, or a Parquet column) as its contract
    type, null when it does not parse. A timestamp without an offset is UTC.
    An integer must be a whole number: 5, "5" and 5.0 read as 5; 3.5 and
    "five" do not parse (never rounded).
-#}
{%- macro landing_cast(expr, type_name) -%}
    {{ return(adapter.dispatch("landing_cast", "ochre_analytics")(expr, type_name)) }}
{%- endmacro -%}

{%- macro duckdb__landing_cast(expr, type_name) -%}
    {%- if type_name == "timestamp" -%}
        try_cast({{ expr }} as timestamptz)
    {%- elif type_name == "integer" -%}
        case
            when try_cast({{ expr }} as double) = floor(try_cast({{ expr }} as double))
                then try_cast(try_cast({{ expr }} as double) as integer)
        end
    {%- else -%}
        cast({{ expr }} as varchar)
    {%- endif -%}
{%- endmacro -%}


{#-
    read_landing(source_relation): every record of one landing entity (the
    relation of source('landing', <entity>)), from all of its JSON Lines,
    gzipped JSON Lines and Parquet files, read in place. Hidden files (a name
    starting with '.') and other extensions are not read; int_landing_files
    lists them.

    Columns, one row per non-blank line / Parquet row:
      source_file     the file, relative to the landing folder (`messages/2026-11-20.jsonl`)
      line_number     1-based line (JSON Lines) or row (Parquet) in that file
      parse_error     why the line could not be read as a record, else null
      <column>        typed value (null when absent or when it does not parse)
      <column>__present  true when the file holds a non-null value for it

    Files are listed when the model runs, so a missing or empty folder reads
    as "no records". A reader filtering on `source_file` with constants reads
    only those files (DuckDB prunes the others).
-#}
{% macro read_landing(source_relation) %}
    {{ return(adapter.dispatch("read_landing", "ochre_analytics")(source_relation.identifier)) }}
{% endmacro %}


{#-
    The landing files of an entity (.jsonl, .jsonl.gz, .parquet; not hidden),
    listed when the model runs: full paths, sorted.
-#}
{% macro list_landing_files(entity) %}
    {{ return(adapter.dispatch("list_landing_files", "ochre_analytics")(entity)) }}
{% endmacro %}

{% macro duckdb__list_landing_files(entity) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set folder = landing_path(entity) | replace("'", "''") -%}
    {%- set globs = [] -%}
    {%- for suffix in [".jsonl", ".jsonl.gz", ".parquet"] -%}
        {%- do globs.append("select file from glob('" ~ folder ~ "/*" ~ suffix ~ "')") -%}
    {%- endfor -%}
    {%- set listing = "select file from (" ~ (globs | join(" union all ")) ~ ")"
        ~ " where not starts_with(parse_filename(file), '.') order by file" -%}
    {{ return(run_query(listing).columns[0].values() | list) }}
{% endmacro %}


{#-
    The repaired copies of an entity's JSON Lines files (file name -> full path
    of the copy), listed when the model runs. The pipeline's landing check
    writes one for a file with lines that cannot be read as records (invalid
    UTF-8, a line over 2 MB): the same lines, each unreadable one replaced by
    `#ochre-reject: <reason>`. The reader reads the copy instead of the file,
    so each such line is one rejected record and the rest of the file loads.
-#}
{% macro duckdb__landing_repairs(entity) %}
    {%- if not execute -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set warehouse = run_setting("warehouse_dir", "OCHRE_WAREHOUSE_DIR") or "data/warehouse" -%}
    {%- set folder = (warehouse.rstrip("/") ~ "/landing_repairs/" ~ entity) | replace("'", "''") -%}
    {%- set suffix = ".repaired.jsonl" -%}
    {%- set repairs = {} -%}
    {%- for path in run_query("select file from glob('" ~ folder ~ "/*" ~ suffix ~ "')").columns[0].values() -%}
        {%- do repairs.update({path.rsplit("/", 1)[-1][:-(suffix | length)]: path}) -%}
    {%- endfor -%}
    {{ return(repairs) }}
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


{% macro duckdb__read_landing(entity) %}
    {%- set columns = landing_contract(entity).columns -%}
    {%- set json_files = [] -%}
    {%- set parquet_files = [] -%}
    {%- for f in duckdb__list_landing_files(entity) -%}
        {%- do (parquet_files if f.endswith(".parquet") else json_files).append(f) -%}
    {%- endfor -%}
    {%- set parquet_cols = duckdb__parquet_columns(parquet_files) -%}
    {%- set parts = [] -%}

    {%- if json_files | length > 0 -%}
        {%- set struct_type = [] -%}
        {%- for col in columns -%}
            {%- do struct_type.append('"' ~ col.name ~ '":"VARCHAR"') -%}
        {%- endfor -%}
        {%- set repairs = duckdb__landing_repairs(entity) -%}
        {%- set lines = [] -%}
        {%- for f in json_files -%}
            {%- set repaired = repairs.get(f.rsplit("/", 1)[-1]) -%}
            {%- do lines.append(
                "select '" ~ (f | replace("'", "''")) ~ "' as _path, ordinality as _line_number, line, "
                ~ ("starts_with(line, '#ochre-reject: ')" if repaired else "false") ~ " as _marked"
                ~ " from read_csv('" ~ ((repaired or f) | replace("'", "''")) ~ "', columns = {'line': 'VARCHAR'},"
                ~ " header = false, delim = chr(1), quote = '', escape = '', auto_detect = false,"
                ~ " strict_mode = false, null_padding = true) with ordinality"
            ) -%}
        {%- endfor -%}
        {%- set json_select -%}
        select
            _path,
            _line_number,
            _parse_error,
            {%- for col in columns %}
            {{ landing_cast("_rec." ~ col.name, col.type) }} as {{ col.name }},
            coalesce(_rec.{{ col.name }} is not null, false) as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select
                _path,
                _line_number,
                case
                    when _marked then substr(line, 16)
                    when not json_valid(line) then 'invalid JSON'
                    when json_type(line) <> 'OBJECT' then 'JSON line is not an object'
                end as _parse_error,
                case
                    when not _marked and json_valid(line) and json_type(line) = 'OBJECT'
                        then json_transform(line, '{{ "{" ~ (struct_type | join(",")) ~ "}" }}')
                end as _rec
            from (
                {{ lines | join("\n                union all\n                ") }}
            ) as raw_lines
            where line is not null and trim(line) <> ''
        ) as json_records
        {%- endset -%}
        {%- do parts.append(json_select) -%}
    {%- endif -%}

    {%- if parquet_files | length > 0 -%}
        {%- set parquet_select -%}
        select
            filename as _path,
            file_row_number + 1 as _line_number,
            cast(null as varchar) as _parse_error,
            {%- for col in columns %}
            {%- if col.name in parquet_cols %}
            {{ landing_cast(col.name, col.type) }} as {{ col.name }},
            {{ col.name }} is not null as {{ col.name }}__present{{ "," if not loop.last }}
            {%- else %}
            cast(null as {{ landing_sql_type(col.type) }}) as {{ col.name }},
            false as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endif %}
            {%- endfor %}
        from read_parquet(
            {{ sql_string_list(parquet_files) }},
            union_by_name = true, filename = true, file_row_number = true
        )
        {%- endset -%}
        {%- do parts.append(parquet_select) -%}
    {%- endif -%}

    {%- if parts | length == 0 -%}
        {%- set empty_select -%}
        select
            cast(null as varchar) as _path,
            cast(null as bigint) as _line_number,
            cast(null as varchar) as _parse_error,
            {%- for col in columns %}
            cast(null as {{ landing_sql_type(col.type) }}) as {{ col.name }},
            false as {{ col.name }}__present{{ "," if not loop.last }}
            {%- endfor %}
        where false
        {%- endset -%}
        {%- do parts.append(empty_select) -%}
    {%- endif -%}

    select
        {{ landing_relative_path("_path") }} as source_file,
        cast(_line_number as bigint) as line_number,
        _parse_error as parse_error,
        * exclude (_path, _line_number, _parse_error)
    from (
        {{ parts | join("\n        union all\n        ") }}
    ) as landed
{% endmacro %}


{#-
    The record-level problems of a landed copy that the contract defines, as a
    SQL expression over read_landing()'s columns: the first reason, or null.
    In this order: the line is not a JSON object, a required column is
    missing, a typed value does not parse, an enum value is unknown,
    `updated_at` is more than a day after the run's start. A staging model adds
    the rules of its own entity after these.
-#}
{% macro landing_record_problem(entity) %}
    {%- set columns = landing_contract(entity).columns -%}
    case
        when parse_error is not null then parse_error
        {%- for col in columns if col.required %}
        when not {{ col.name }}__present then 'missing required column {{ col.name }}'
        {%- endfor %}
        {%- for col in columns if col.type != "string" %}
        when {{ col.name }}__present and {{ col.name }} is null
            then '{{ "unparseable timestamp" if col.type == "timestamp" else "not an integer" }} in {{ col.name }}'
        {%- endfor %}
        {%- for col in columns if col.accepted_values %}
        when {{ col.name }} is not null
            and {{ col.name }} not in ({% for v in col.accepted_values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})
            then concat('unknown {{ col.name }} ''', {{ redact_personal_data(col.name) }}, '''')
        {%- endfor %}
        when updated_at > {{ timestamp_add_days(run_started_at_literal(), 1) }}
            then 'updated_at in the future'
    end
{%- endmacro %}


{#-
    The landing files of `entity` that `relation` (an incremental model with a
    `source_file` column) does not hold yet, as a SQL list of landing-relative
    paths for `source_file in ...`; `(null)` (no file) when there is none.
-#}
{% macro landing_files_not_in(relation, entity) %}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set held = run_query("select distinct source_file from " ~ relation).columns[0].values() | list -%}
    {%- set new_files = [] -%}
    {%- for path in list_landing_files(entity) -%}
        {%- set relative = entity ~ "/" ~ path.rsplit("/", 1)[-1] -%}
        {%- if relative not in held -%}
            {%- do new_files.append("'" ~ (relative | replace("'", "''")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return("(" ~ (new_files | join(", ") if new_files else "null") ~ ")") }}
{% endmacro %}


{#-
    Every file in the entity folders of the landing folder, as a relation:
    entity, source_file (landing-relative), file_name, file_size_bytes,
    file_modified_at. Read when the query runs; file contents are not read.
-#}
{% macro landing_file_listing() %}
    {{ return(adapter.dispatch("landing_file_listing", "ochre_analytics")()) }}
{% endmacro %}

{% macro duckdb__landing_file_listing() -%}
    select
        {{ landing_relative_path("filename") }} as source_file,
        size as file_size_bytes,
        last_modified as file_modified_at
    from read_blob('{{ landing_prefix() | replace("'", "''") }}*/*')
{%- endmacro %}


{#- A listed file's path relative to the landing folder, as SQL (`messages/2026-11-20.jsonl`). -#}
{% macro landing_relative_path(path_expr) %}
    {{- return(adapter.dispatch("landing_relative_path", "ochre_analytics")(path_expr)) -}}
{% endmacro %}

{% macro default__landing_relative_path(path_expr) -%}
    {%- set prefix = landing_prefix() -%}
    case
        when starts_with({{ path_expr }}, '{{ prefix | replace("'", "''") }}')
            then substr({{ path_expr }}, {{ prefix | length + 1 }})
        else {{ path_expr }}
    end
{%- endmacro %}


{#-
    A bad value quoted in a reject reason is published: anything shaped like
    an email address in it is replaced, so personal data never reaches the
    published rejected_records.
-#}
{% macro redact_personal_data(expr) -%}
    {{- adapter.dispatch("redact_personal_data", "ochre_analytics")(expr) -}}
{%- endmacro %}

{% macro default__redact_personal_data(expr) -%}
    regexp_replace({{ expr }}, '[^@[:space:]'']+@[^@[:space:]'']+', '<redacted>', 'g')
{%- endmacro %}

{% macro spark__redact_personal_data(expr) -%}
    regexp_replace({{ expr }}, '[^@\\s'']+@[^@\\s'']+', '<redacted>')
{%- endmacro %}
