import sys

from hearth_agent.cli import main

sys.exit(main())
