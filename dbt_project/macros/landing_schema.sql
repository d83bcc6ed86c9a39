{#-
    The landing contract (spec/landing.md) as data: for each entity, its id
    column and its columns with type and whether they are required.
    Types: string, timestamp, integer.
-#}
{% macro landing_entities() %}
    {{ return({
        "workspaces": {
            "id": "workspace_id",
            "optional_folder": false,
            "columns": [
                ["workspace_id", "string", true],
                ["name", "string", false],
                ["timezone", "string", false],
                ["updated_at", "timestamp", true],
            ],
        },
        "agents": {
            "id": "agent_id",
            "optional_folder": false,
            "columns": [
                ["agent_id", "string", true],
                ["workspace_id", "string", true],
                ["display_name", "string", false],
                ["email", "string", false],
                ["role", "string", true],
                ["status", "string", true],
                ["updated_at", "timestamp", true],
            ],
        },
        "conversations": {
            "id": "conversation_id",
            "optional_folder": false,
            "columns": [
                ["conversation_id", "string", true],
                ["workspace_id", "string", true],
                ["created_at", "timestamp", true],
                ["channel", "string", false],
                ["assignee_agent_id", "string", false],
                ["status", "string", false],
                ["closed_at", "timestamp", false],
                ["updated_at", "timestamp", true],
            ],
        },
        "messages": {
            "id": "message_id",
            "optional_folder": false,
            "columns": [
                ["message_id", "string", true],
                ["conversation_id", "string", true],
                ["workspace_id", "string", true],
                ["created_at", "timestamp", true],
                ["author_type", "string", true],
                ["author_agent_id", "string", false],
                ["message_type", "string", true],
                ["ai_assist", "string", false],
                ["updated_at", "timestamp", true],
            ],
        },
        "csat_responses": {
            "id": "response_id",
            "optional_folder": false,
            "columns": [
                ["response_id", "string", true],
                ["conversation_id", "string", true],
                ["workspace_id", "string", true],
                ["score", "integer", true],
                ["submitted_at", "timestamp", true],
                ["updated_at", "timestamp", true],
            ],
        },
        "mentions": {
            "id": "mention_id",
            "optional_folder": false,
            "columns": [
                ["mention_id", "string", true],
                ["message_id", "string", true],
                ["conversation_id", "string", true],
                ["workspace_id", "string", true],
                ["mentioned_agent_id", "string", true],
                ["created_at", "timestamp", true],
                ["updated_at", "timestamp", true],
            ],
        },
        "nps_responses": {
            "id": "response_id",
            "optional_folder": true,
            "columns": [
                ["response_id", "string", true],
                ["workspace_id", "string", true],
                ["score", "integer", true],
                ["submitted_at", "timestamp", true],
                ["updated_at", "timestamp", true],
            ],
        },
    }) }}
{% endmacro %}


{#- Allowed values of the enum columns (spec/landing.md). -#}
{% macro landing_enums() %}
    {{ return({
        "agents": {
            "role": ["owner", "admin", "agent"],
            "status": ["active", "deactivated"],
        },
        "conversations": {
            "status": ["open", "snoozed", "closed"],
        },
        "messages": {
            "author_type": ["customer", "agent", "ai_agent", "system"],
            "message_type": ["reply", "note", "handoff"],
            "ai_assist": ["none", "draft_sent", "draft_edited"],
        },
    }) }}
{% endmacro %}


{#- Folder of one entity inside the landing folder. -#}
{% macro landing_path(entity) %}
    {{ return(landing_prefix() ~ entity) }}
{% endmacro %}


{#- The landing folder as a path prefix, with one trailing slash. -#}
{% macro landing_prefix() %}
    {{- return((var("landing_dir") | string).rstrip("/") ~ "/") -}}
{% endmacro %}


{#- A landed file's path relative to the landing folder (`messages/2026-11-20.jsonl`). -#}
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
