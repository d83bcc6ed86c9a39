"""Read API and page over the published leaderboard file.

``create_app`` builds the FastAPI app; ``ochre_api.cli`` holds the ``serve`` and
``token`` sub-commands; ``ochre_api.visibility`` the BI visibility view (importing
it does not import the web stack, so the publish step stays light).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ochre_api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ochre_api.app import create_app

        return create_app
    raise AttributeError(f"module 'ochre_api' has no attribute {name!r}")
