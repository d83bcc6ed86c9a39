{#-
    Spark: the incremental settings of macros/incremental.sql.

    Tables are Parquet (var spark_file_format, default parquet). Parquet on
    Spark cannot update rows by key, so:
    - 'by_date' (the facts: every affected local date is rebuilt whole):
      insert_overwrite partitioned by the date column. With
      spark.sql.sources.partitionOverwriteMode=dynamic (profiles.yml) only the
      dates the incremental run selects are replaced; the others are kept.
    - 'by_key' (merge by id): a plain table, rebuilt on every run, on Parquet;
      a merge on unique_key when var spark_file_format is a table format
      that can merge (delta, iceberg, hudi: e.g. on Databricks).
    - 'copies_by_id' (int_<entity>_deduplicated: an id's good copy may sit
      beside its rejected copies, which a merge on unique_key cannot keep):
      always a plain table.
-#}
{% macro spark__incremental_settings(kind, key) %}
    {%- set file_format = var("spark_file_format", "parquet") -%}
    {%- set can_merge = file_format in ("delta", "iceberg", "hudi") -%}
    {%- if kind == "by_date" -%}
        {{- return({
            "materialized": "incremental",
            "incremental_strategy": "insert_overwrite",
            "partition_by": [key],
            "file_format": file_format,
            "on_schema_change": "fail",
        }) -}}
    {%- elif can_merge and kind == "by_key" -%}
        {{- return({
            "materialized": "incremental",
            "incremental_strategy": "merge",
            "unique_key": key,
            "file_format": file_format,
            "on_schema_change": "fail",
        }) -}}
    {%- else -%}
        {{- return({"materialized": "table", "file_format": file_format}) -}}
    {%- endif -%}
{% endmacro %}
