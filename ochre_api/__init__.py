"""Read API and page over the published leaderboard file.

``create_app`` builds the FastAPI app; ``ochre_api.cli`` holds the ``serve`` and
``token`` sub-commands; ``ochre_api.visibility`` the BI visibility view.
"""

from ochre_api.app import create_app

__all__ = ["create_app"]
