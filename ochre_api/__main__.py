import sys

from ochre_api.cli import main

sys.exit(main())
